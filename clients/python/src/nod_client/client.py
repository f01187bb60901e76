"""NodClient: ask a person and get the typed answer back, send messages, upload files, report status.

The same calls as the TypeScript client (client/src/index.ts), over the agent API (docs/api.md).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import time
import uuid
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar, Union, cast
from urllib.parse import quote

import requests

from .errors import FieldError, NodConnectionError, NodError, ReviewExpired, WaitTimeout, error_class
from .types import (
    A,
    Agent,
    AgentStatus,
    Answer,
    JsonObject,
    Message,
    MessageStatus,
    ReviewSpec,
    StoredFile,
    answer_of,
)

if TYPE_CHECKING:
    from .subscribe import EventHandler, Subscription

__version__ = "0.1.0"

log = logging.getLogger("nod_client")

T = TypeVar("T")

FileInput = Union[bytes, bytearray, str, "os.PathLike[str]", IO[bytes]]


def _reason(err: Exception) -> str:
    """A network error in a few words ("connection refused"), not urllib3's whole chain."""
    text = str(err)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return f"{err.__class__.__name__}: {errno.group(1).strip()}"
    inner = re.findall(r"\w+\('([^']+)'\)", text)  # ('Connection aborted.', RemoteDisconnected('…'))
    return f"{err.__class__.__name__}: {inner[-1] if inner else text}"


def _retryable(err: NodError) -> bool:
    """Worth another try: the network failed, or the server is busy, restarting or briefly broken."""
    return isinstance(err, NodConnectionError) or err.status == 429 or err.status >= 500


class NodClient:
    """A client for one Nod server and API key.

    ``channel_id`` is the default channel (agent id) of every call; it may be left out when the key is scoped
    to one agent. ``poll_timeout`` is how long each long-poll lasts (the server caps it at 30 s). ``retries``
    is how many failed requests in a row (network errors, 429, 5xx: a server restarting) ``ask`` and ``wait``
    retry, with backoff (0.5 s doubling up to ``max_backoff``), before raising the last error.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        channel_id: Optional[str] = None,
        *,
        poll_timeout: float = 30.0,
        retries: int = 8,
        max_backoff: float = 15.0,
        request_timeout: float = 30.0,
        session: Optional[requests.Session] = None,
    ) -> None:
        if not url:
            raise ValueError("NodClient needs a url")
        if not api_key:
            raise ValueError("NodClient needs an api_key")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.channel_id = channel_id
        self.poll_timeout = poll_timeout
        self.retries = retries
        self.max_backoff = max_backoff
        self.request_timeout = request_timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"x-api-key": api_key, "accept": "application/json", "user-agent": f"nod-client-python/{__version__}"}
        )

    # ---- plumbing ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        files: Any = None,
        data: Any = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """One call to the agent API: the parsed JSON answer. A non-2xx answer raises a NodError subclass
        (InvalidRequest for a 400, with every problem in ``errors``); no answer at all, NodConnectionError."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            res = self.session.request(
                method,
                f"{self.url}{path}",
                json=json,
                params=query,
                files=files,
                data=data,
                timeout=(10.0, timeout if timeout is not None else self.request_timeout),
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as err:
            raise NodConnectionError(0, f"{method} {path}: {_reason(err)}") from err
        body: Any = None
        if res.content:
            try:
                body = res.json()
            except ValueError:
                body = None
        if res.ok:
            return body
        retry_after: Optional[float] = None
        try:
            retry_after = float(res.headers["retry-after"])
        except (KeyError, ValueError):
            pass
        message = body.get("message") if isinstance(body, dict) else None
        errors = body.get("errors") if isinstance(body, dict) else None
        raise error_class(res.status_code)(
            res.status_code,
            str(message or res.text[:200] or res.reason),
            [FieldError(str(e.get("path", "")), str(e.get("message", ""))) for e in errors or [] if isinstance(e, dict)],
            retry_after,
            body,
        )

    def _retrying(self, attempt: Callable[[], T], what: str) -> T:
        """Runs ``attempt`` again after network errors, 429 (honouring Retry-After) and 5xx, with backoff."""
        failures = 0
        while True:
            try:
                return attempt()
            except NodError as err:
                if not _retryable(err) or failures >= self.retries:
                    raise
                if err.retry_after is not None and err.retry_after > 0:
                    delay = min(err.retry_after, 60.0)
                elif err.retry_after == 0 and failures == 0:
                    delay = 0.0  # 503 + Retry-After: 0, a wait interrupted by a restart: call it again now
                else:
                    delay = min(0.5 * 2**failures, self.max_backoff)
                failures += 1
                log.warning("%s failed (%s); retry %d of %d in %.1f s", what, err, failures, self.retries, delay)
                time.sleep(delay)

    def _request_retrying(self, what: str, method: str, path: str, **kwargs: Any) -> Any:
        """``request`` through ``_retrying``: for calls that are safe to repeat (reads, keyed posts)."""

        def attempt() -> Any:
            return self.request(method, path, **kwargs)

        return self._retrying(attempt, what)

    def _channel(self, channel_id: Optional[str]) -> Optional[str]:
        return channel_id if channel_id is not None else self.channel_id

    # ---- messages and reviews --------------------------------------------------------------------------

    def send(
        self,
        text: Optional[str] = None,
        *,
        channel_id: Optional[str] = None,
        status: Optional[MessageStatus] = None,
        review: Union[ReviewSpec[Answer], Mapping[str, Any], None] = None,
        expires_in_seconds: Optional[int] = None,
        expires_at: Optional[str] = None,
        policy: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        attachment_ids: Optional[Sequence[str]] = None,
        text_attachments: Optional[Sequence[Mapping[str, str]]] = None,
        webhook_url: Optional[str] = None,
        iteration_of: Optional[str] = None,
        client_id: Optional[str] = None,
    ) -> Message:
        """Posts a message (with or without a review) and returns it as stored.

        ``review`` is one of Approval, Selection, TextInput, Form, Freeform, RawReview, or the API's own
        ``{"type", "payload", ...}`` dict; ``expires_in_seconds``, ``expires_at`` and ``policy`` (the API's
        ``assignees``, ``quorum``, ``onExpire``, ``remind``, ``escalate``, ``priority``, ``callback``) go into
        it. With a ``client_id`` a retried post cannot store a second message, so it is retried like a wait.
        """
        body: JsonObject = {
            "channelId": self._channel(channel_id),
            "text": text,
            "status": status,
            "metadata": dict(metadata) if metadata is not None else None,
            "attachmentIds": list(attachment_ids) if attachment_ids is not None else None,
            "textAttachments": [dict(t) for t in text_attachments] if text_attachments is not None else None,
            "webhookUrl": webhook_url,
            "iterationOf": iteration_of,
            "clientId": client_id,
        }
        if review is not None:
            body["review"] = _review_json(review, expires_in_seconds, expires_at, policy)
        elif expires_in_seconds is not None or expires_at is not None or policy:
            raise ValueError("expires_in_seconds, expires_at and policy belong to a review: pass review too")
        body = {k: v for k, v in body.items() if v is not None}
        if client_id:
            return Message.from_json(self._request_retrying("send", "POST", "/api/v1/messages", json=body))
        return Message.from_json(self.request("POST", "/api/v1/messages", json=body))

    def ask(
        self,
        text: Optional[str],
        review: ReviewSpec[A],
        *,
        channel_id: Optional[str] = None,
        status: Optional[MessageStatus] = None,
        expires_in_seconds: Optional[int] = None,
        expires_at: Optional[str] = None,
        policy: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        attachment_ids: Optional[Sequence[str]] = None,
        text_attachments: Optional[Sequence[Mapping[str, str]]] = None,
        webhook_url: Optional[str] = None,
        iteration_of: Optional[str] = None,
        client_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> A:
        """Asks the person and returns their answer, typed by the review: ApprovalAnswer (``option_id``,
        ``comment``), SelectionAnswer (``selected_ids``), TextAnswer (``text``), FormAnswer (``values``),
        FreeformAnswer (``data``), or a plain Answer for a RawReview. Sends the message (with a ``client_id``,
        so a retried post stores it once), then long-polls until it is answered, retrying network errors,
        429 and 5xx (a server restarting). The keywords are :meth:`send`'s, and ``timeout`` (seconds; default:
        no limit) for :meth:`wait`.

        Raises ReviewExpired if the review expires first, WaitTimeout after ``timeout``, and a NodError
        subclass when the server refuses the request (InvalidRequest, with ``errors``, for bad input).
        """
        message = self.send(
            text,
            review=review,
            channel_id=channel_id,
            status=status,
            expires_in_seconds=expires_in_seconds,
            expires_at=expires_at,
            policy=policy,
            metadata=metadata,
            attachment_ids=attachment_ids,
            text_attachments=text_attachments,
            webhook_url=webhook_url,
            iteration_of=iteration_of,
            client_id=client_id or str(uuid.uuid4()),
        )
        return cast(A, self.wait(message.id, channel_id=message.channel_id, timeout=timeout))

    def wait(self, message_id: str, *, channel_id: Optional[str] = None, timeout: Optional[float] = None) -> Answer:
        """Waits for the answer to a review already sent, however long it takes (each poll lasts up to
        ``poll_timeout``), or at most ``timeout`` seconds (then WaitTimeout). Raises ReviewExpired if it expires."""
        path = f"/api/v1/reviews/{quote(message_id, safe='')}/wait"
        deadline = time.monotonic() + timeout if timeout is not None else None
        while True:
            poll = self.poll_timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(message_id, timeout or 0.0)
                poll = min(poll, left)
            params = {"channel": self._channel(channel_id), "timeout": int(poll * 1000)}
            result = self._request_retrying("wait", "GET", path, params=params, timeout=poll + 15)
            status = result.get("status") if isinstance(result, dict) else None
            if status == "completed":
                return answer_of(Message.from_json(result["message"]))
            if status == "expired":
                raise ReviewExpired(Message.from_json(result["message"]))
            # "timeout" (or "pending", as some servers say): nobody answered yet, poll again.

    def get_message(self, message_id: str, *, channel_id: Optional[str] = None) -> Message:
        """One message of the channel."""
        path = f"/api/v1/messages/{quote(message_id, safe='')}"
        return Message.from_json(self.request("GET", path, params={"channel": self._channel(channel_id)}))

    def pending(self, channel_id: Optional[str] = None, *, limit: Optional[int] = None) -> List[Message]:
        """Reviews still waiting for an answer, newest first (this channel, or every channel of the key)."""
        rows = self.request("GET", "/api/v1/reviews/pending", params={"channel": self._channel(channel_id), "limit": limit})
        return [Message.from_json(m) for m in rows]

    # ---- streamed replies ---------------------------------------------------------------------------------

    def start_stream(self, stream_id: str, text: str = "", *, channel_id: Optional[str] = None) -> Message:
        """Posts a draft (``streamState: "streaming"``) that people see grow; safe to retry (same ``stream_id``)."""
        body = {k: v for k, v in {"channelId": self._channel(channel_id), "streamId": stream_id, "streamState": "streaming", "text": text}.items() if v is not None}
        return Message.from_json(self._request_retrying("start_stream", "POST", "/api/v1/messages", json=body))

    def update_stream(self, stream_id: str, text: str, *, channel_id: Optional[str] = None, complete: bool = False) -> Message:
        """Replaces a draft's text with the whole text so far (not a delta)."""
        body: JsonObject = {"text": text}
        if self._channel(channel_id):
            body["channelId"] = self._channel(channel_id)
        if complete:
            body["complete"] = True
        return Message.from_json(self.request("PATCH", f"/api/v1/messages/streams/{quote(stream_id, safe='')}", json=body))

    def complete_stream(self, stream_id: str, text: str, *, channel_id: Optional[str] = None) -> Message:
        """Finishes a draft with its final text; later updates get 409 (Conflict)."""
        return self.update_stream(stream_id, text, channel_id=channel_id, complete=True)

    # ---- files ----------------------------------------------------------------------------------------------

    def upload(
        self,
        file: FileInput,
        *,
        filename: Optional[str] = None,
        mime_type: Optional[str] = None,
        channel_id: Optional[str] = None,
    ) -> StoredFile:
        """Stores a file in the channel (bytes, a path, or a binary file object); attach it with
        ``send(..., attachment_ids=[f.id])`` or ``ask``. Unattached files are deleted after 24 h."""
        content: bytes
        if isinstance(file, (bytes, bytearray)):
            content = bytes(file)
            name = filename or "file"
        elif isinstance(file, (str, os.PathLike)):
            with open(file, "rb") as f:
                content = f.read()
            name = filename or os.path.basename(os.fspath(file))
        else:
            content = file.read()
            name = filename or os.path.basename(str(getattr(file, "name", "") or "")) or "file"
        mime = mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        channel = self._channel(channel_id)
        data = {"channelId": channel} if channel else None
        return StoredFile.from_json(self.request("POST", "/api/v1/files/store", files={"file": (name, content, mime)}, data=data))

    def store_text(
        self, content: str, *, filename: Optional[str] = None, mime_type: Optional[str] = None, channel_id: Optional[str] = None
    ) -> StoredFile:
        """Stores text as a file of the channel (``content.md``, text/markdown unless told)."""
        body = {"channelId": self._channel(channel_id), "content": content, "filename": filename, "mimeType": mime_type}
        return StoredFile.from_json(self.request("POST", "/api/v1/files/store-text", json={k: v for k, v in body.items() if v is not None}))

    def files(self, *, channel_id: Optional[str] = None, limit: Optional[int] = None) -> List[StoredFile]:
        """The channel's files, attached or not, newest first."""
        rows = self.request("GET", "/api/v1/files", params={"channel": self._channel(channel_id), "limit": limit})
        return [StoredFile.from_json(f) for f in rows]

    def download(self, file_id: str) -> bytes:
        """A stored file's bytes."""
        try:
            res = self.session.get(f"{self.url}/api/v1/files/{quote(file_id, safe='')}/download", timeout=(10.0, self.request_timeout))
        except (requests.ConnectionError, requests.Timeout) as err:
            raise NodConnectionError(0, f"download {file_id}: {err}") from err
        if not res.ok:
            raise error_class(res.status_code)(res.status_code, res.text[:200] or res.reason)
        return bytes(res.content)

    # ---- agents and status ------------------------------------------------------------------------------------

    def ping(self, status: AgentStatus = "active", message: Optional[str] = None, *, agent_id: Optional[str] = None) -> Agent:
        """Reports the agent's status (the heartbeat: active, busy, error or offline); returns the agent."""
        body = {"status": status, "agentId": agent_id or self.channel_id, "message": message}
        return Agent.from_json(self.request("POST", "/api/v1/status/ping", json={k: v for k, v in body.items() if v is not None}))

    def channels(self) -> List[Agent]:
        """The channels (agents) this key can use."""
        return [Agent.from_json(a) for a in self.request("GET", "/api/v1/agents")]

    # ---- live events ---------------------------------------------------------------------------------------

    def subscribe(
        self,
        on: Optional[Mapping[str, EventHandler]] = None,
        *,
        channels: Optional[Sequence[str]] = None,
        on_error: Optional[Callable[[Exception], None]] = None,
        transports: Optional[Sequence[str]] = None,
        wait: bool = True,
        timeout: float = 10.0,
        reconnection_delay: float = 1.0,
        reconnection_delay_max: float = 5.0,
    ) -> Subscription:
        """Follows channels live over Socket.IO (needs python-socketio, imported only here).

        ``on`` maps event names (``message:created``, ``review:responded``, ``review:expired``, …) to handlers;
        message events get a :class:`Message`, the others the event's JSON. After a dropped connection the
        socket reconnects by itself and subscribes again with the last ``seq`` seen, so the server replays
        the ``message:created`` events missed meanwhile. With ``wait`` (the default) this returns once every
        channel is subscribed, or raises (Unauthorized for a bad key, NotFound for a refused channel).
        """
        from .subscribe import Subscription

        names = list(channels) if channels is not None else ([self.channel_id] if self.channel_id else [])
        if not names:
            raise ValueError("subscribe needs channels, or a channel_id in the client")
        sub = Subscription(
            self.url,
            self.api_key,
            names,
            on or {},
            on_error=on_error,
            transports=transports,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
        )
        sub.connect()
        if wait:
            try:
                sub.wait_ready(timeout)
            except Exception:
                sub.close()
                raise
        return sub


def _review_json(
    review: Union[ReviewSpec[Answer], Mapping[str, Any]],
    expires_in_seconds: Optional[int],
    expires_at: Optional[str],
    policy: Optional[Mapping[str, Any]],
) -> JsonObject:
    if isinstance(review, ReviewSpec):
        out: Dict[str, Any] = {"type": review.type, "payload": review.payload()}
    else:
        out = dict(review)
    if expires_in_seconds is not None:
        out["expiresInSeconds"] = expires_in_seconds
    if expires_at is not None:
        out["expiresAt"] = expires_at
    out.update(policy or {})
    return out
