"""What the client sends (the five review types) and what it gets back (messages, answers, agents, files).

Every object read from the server keeps the whole JSON it came from as ``raw``, so a field this module does
not name yet is still there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Generic, List, Literal, Mapping, Optional, Sequence, TypeVar, Union

JsonObject = Dict[str, Any]

AgentStatus = Literal["active", "busy", "error", "offline"]
MessageStatus = Literal["info", "success", "warning", "error"]
OptionStyle = Literal["primary", "danger", "secondary", "ghost"]
FormFieldType = Literal[
    "text", "number", "email", "url", "textarea", "select", "checkbox", "date", "time", "datetime", "range", "password"
]


def _compact(values: Mapping[str, Any]) -> JsonObject:
    """The fields that were given (None means "not given", as the server reads it too)."""
    return {k: v for k, v in values.items() if v is not None}


# ---- the five review types ---------------------------------------------------------------------------

A = TypeVar("A", bound="Answer", covariant=True)


class ReviewSpec(Generic[A]):
    """A review to ask for; the type parameter is the answer class ``ask`` returns for it."""

    type: str

    def payload(self) -> JsonObject:
        raise NotImplementedError


@dataclass
class Option:
    """An approval's button: ``id`` comes back as the answer's ``option_id``."""

    id: str
    label: str
    style: Optional[OptionStyle] = None

    def to_json(self) -> JsonObject:
        return _compact({"id": self.id, "label": self.label, "style": self.style})


@dataclass
class Approval(ReviewSpec["ApprovalAnswer"]):
    """Approve or reject (or any 1 to 20 options). The answer is an :class:`ApprovalAnswer`.

    An option may be given as a plain string, which is both its id and its label.
    """

    options: Sequence[Union[Option, str]]
    allow_comment: Optional[bool] = None
    type: Literal["approval"] = field(default="approval", init=False)

    def payload(self) -> JsonObject:
        options = [Option(o, o) if isinstance(o, str) else o for o in self.options]
        return _compact({"options": [o.to_json() for o in options], "allowComment": self.allow_comment})


@dataclass
class Item:
    """A selection's item: ``id`` comes back in the answer's ``selected_ids``."""

    id: str
    label: str
    description: Optional[str] = None

    def to_json(self) -> JsonObject:
        return _compact({"id": self.id, "label": self.label, "description": self.description})


@dataclass
class Selection(ReviewSpec["SelectionAnswer"]):
    """Pick one item (``mode="single"``) or several (``"multi"``). The answer is a :class:`SelectionAnswer`."""

    items: Sequence[Union[Item, str]]
    mode: Literal["single", "multi"] = "single"
    type: Literal["selection"] = field(default="selection", init=False)

    def payload(self) -> JsonObject:
        items = [Item(i, i) if isinstance(i, str) else i for i in self.items]
        return {"mode": self.mode, "items": [i.to_json() for i in items]}


@dataclass
class TextInput(ReviewSpec["TextAnswer"]):
    """A text the person writes. The answer is a :class:`TextAnswer`."""

    placeholder: Optional[str] = None
    markdown: Optional[bool] = None
    min_length: Optional[int] = None
    max_length: Optional[int] = None
    prefill: Optional[str] = None
    type: Literal["text-input"] = field(default="text-input", init=False)

    def payload(self) -> JsonObject:
        return _compact(
            {
                "placeholder": self.placeholder,
                "markdown": self.markdown,
                "minLength": self.min_length,
                "maxLength": self.max_length,
                "prefill": self.prefill,
            }
        )


@dataclass
class FormField:
    """One field of a form; its answer is keyed by ``name`` (numbers and ranges as numbers, checkboxes as booleans)."""

    name: str
    type: FormFieldType
    label: str
    required: Optional[bool] = None
    placeholder: Optional[str] = None
    options: Optional[Sequence[Union[str, Mapping[str, str]]]] = None
    min: Optional[Union[float, str]] = None
    max: Optional[Union[float, str]] = None
    step: Optional[float] = None
    default: Any = None
    description: Optional[str] = None
    unit: Optional[str] = None

    def to_json(self) -> JsonObject:
        return _compact(
            {
                "name": self.name,
                "type": self.type,
                "label": self.label,
                "required": self.required,
                "placeholder": self.placeholder,
                "options": [o if isinstance(o, str) else dict(o) for o in self.options] if self.options is not None else None,
                "min": self.min,
                "max": self.max,
                "step": self.step,
                "default": self.default,
                "description": self.description,
                "unit": self.unit,
            }
        )


@dataclass
class Form(ReviewSpec["FormAnswer"]):
    """A form of 1 to 50 fields. The answer is a :class:`FormAnswer` (``values``, keyed by field name)."""

    fields: Sequence[FormField]
    submit_label: Optional[str] = None
    dismiss_label: Optional[str] = None
    type: Literal["form"] = field(default="form", init=False)

    def payload(self) -> JsonObject:
        return _compact(
            {"fields": [f.to_json() for f in self.fields], "submitLabel": self.submit_label, "dismissLabel": self.dismiss_label}
        )


@dataclass
class Freeform(ReviewSpec["FreeformAnswer"]):
    """Any JSON object as the payload (a plugin's, say); the person answers with any JSON object (:class:`FreeformAnswer`)."""

    payload_json: JsonObject = field(default_factory=dict)
    type: Literal["freeform"] = field(default="freeform", init=False)

    def payload(self) -> JsonObject:
        return dict(self.payload_json)


@dataclass
class RawReview(ReviewSpec["Answer"]):
    """A review in the API's own words (``type`` and ``payload`` as docs/api.md spells them, policy fields through
    ``ask(policy=...)``). Its answer is typed as a plain :class:`Answer`; at run time it is the class of the type
    (an ApprovalAnswer for ``"approval"``, and so on)."""

    type: str
    payload_json: JsonObject

    def payload(self) -> JsonObject:
        return dict(self.payload_json)


ReviewRequest = Union[Approval, Selection, TextInput, Form, Freeform, RawReview]


# ---- what the server answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    display_name: str

    @classmethod
    def from_json(cls, data: Optional[Mapping[str, Any]]) -> Optional[Person]:
        return cls(id=data["id"], display_name=data.get("displayName", "")) if data else None


@dataclass(frozen=True)
class Review:
    """A message's review as stored: its state and, once settled, the answer (``response``)."""

    type: str
    payload: JsonObject
    status: str
    response: Optional[JsonObject]
    expires_at: Optional[str]
    completed_at: Optional[str]
    feedback: Optional[str]
    responded_by: Optional[Person]
    resolution: Optional[str]
    via: Optional[str]
    raw: JsonObject

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Review:
        return cls(
            type=data["type"],
            payload=data.get("payload") or {},
            status=data.get("status", ""),
            response=data.get("response"),
            expires_at=data.get("expiresAt"),
            completed_at=data.get("completedAt"),
            feedback=data.get("feedback"),
            responded_by=Person.from_json(data.get("respondedBy")),
            resolution=data.get("resolution"),
            via=data.get("via"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    mime_type: str
    size: int
    text_content: Optional[str]
    raw: JsonObject

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attachment:
        return cls(
            id=data["id"],
            filename=data.get("filename", ""),
            mime_type=data.get("mimeType", ""),
            size=data.get("size", 0),
            text_content=data.get("textContent"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class StoredFile:
    """A file of a channel (``upload``, ``store_text``, ``files``); ``message_id`` is None until a message carries it."""

    id: str
    channel_id: str
    message_id: Optional[str]
    filename: str
    mime_type: str
    size: int
    created_at: str
    text_content: Optional[str]
    raw: JsonObject

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredFile:
        return cls(
            id=data["id"],
            channel_id=data.get("channelId", ""),
            message_id=data.get("messageId"),
            filename=data.get("filename", ""),
            mime_type=data.get("mimeType", ""),
            size=data.get("size", 0),
            created_at=data.get("createdAt", ""),
            text_content=data.get("textContent"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Message:
    """A message as the server stores it; ``seq`` grows by one per message in the channel."""

    id: str
    channel_id: str
    seq: int
    sender_type: str
    text: Optional[str]
    status: Optional[str]
    review: Optional[Review]
    metadata: Optional[JsonObject]
    delivery_status: str
    created_at: str
    attachments: List[Attachment]
    iteration: Optional[int]
    iteration_group_id: Optional[str]
    stream_id: Optional[str]
    stream_state: Optional[str]
    raw: JsonObject

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        review = data.get("review")
        return cls(
            id=data["id"],
            channel_id=data.get("channelId", ""),
            seq=data.get("seq", 0),
            sender_type=data.get("senderType", ""),
            text=data.get("text"),
            status=data.get("status"),
            review=Review.from_json(review) if review else None,
            metadata=data.get("metadata"),
            delivery_status=data.get("deliveryStatus", ""),
            created_at=data.get("createdAt", ""),
            attachments=[Attachment.from_json(a) for a in data.get("attachments") or []],
            iteration=data.get("iteration"),
            iteration_group_id=data.get("iterationGroupId"),
            stream_id=data.get("streamId"),
            stream_state=data.get("streamState"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Agent:
    """An agent (a channel) as the agent API shows it."""

    id: str
    name: str
    description: Optional[str]
    status: str
    status_message: Optional[str]
    status_since: Optional[str]
    last_active_at: Optional[str]
    tag: Optional[str]
    created_at: str
    raw: JsonObject

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Agent:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            description=data.get("description"),
            status=data.get("status", ""),
            status_message=data.get("statusMessage"),
            status_since=data.get("statusSince"),
            last_active_at=data.get("lastActiveAt"),
            tag=data.get("tag"),
            created_at=data.get("createdAt", ""),
            raw=dict(data),
        )


# ---- answers, one class per review type ----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A person's answer: the raw ``response``, their ``feedback`` (or None) and the settled ``message``."""

    message: Message
    response: JsonObject
    feedback: Optional[str]

    @property
    def message_id(self) -> str:
        return self.message.id

    @property
    def responded_by(self) -> Optional[Person]:
        return self.message.review.responded_by if self.message.review else None


@dataclass(frozen=True)
class ApprovalAnswer(Answer):
    """The option the person chose (a rejection is an answer like any other) and their comment, if any."""

    option_id: str
    comment: Optional[str]


@dataclass(frozen=True)
class SelectionAnswer(Answer):
    """The ids of the items the person picked (exactly one in single mode)."""

    selected_ids: List[str]


@dataclass(frozen=True)
class TextAnswer(Answer):
    """The text the person wrote."""

    text: str


@dataclass(frozen=True)
class FormAnswer(Answer):
    """The form's values by field name; ``dismissed`` when the person used the form's dismiss button instead."""

    values: JsonObject
    dismissed: bool

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


@dataclass(frozen=True)
class FreeformAnswer(Answer):
    """Any JSON object the person sent."""

    data: JsonObject


def answer_of(message: Message) -> Answer:
    """The typed answer of a completed review."""
    review = message.review
    if review is None:
        raise ValueError(f"message {message.id} has no review")
    response: JsonObject = dict(review.response or {})
    m, fb = message, review.feedback
    if review.type == "approval":
        return ApprovalAnswer(m, response, fb, option_id=str(response.get("selectedOption", "")), comment=response.get("comment"))
    if review.type == "selection":
        return SelectionAnswer(m, response, fb, selected_ids=[str(i) for i in response.get("selectedIds") or []])
    if review.type == "text-input":
        return TextAnswer(m, response, fb, text=str(response.get("text", "")))
    if review.type == "form":
        dismissed = response.get("_dismissed") is True
        return FormAnswer(m, response, fb, values={} if dismissed else response, dismissed=dismissed)
    return FreeformAnswer(m, response, fb, data=response)
