"""mypy --strict must accept this: ask() returns the answer class of the review it was given."""
from typing import List

from nod_client import Answer, Approval, ApprovalAnswer, Form, FormField, Freeform, NodClient, RawReview, Selection, TextInput


def run(nod: NodClient) -> None:
    approval: ApprovalAnswer = nod.ask("Go?", Approval(["go", "stop"]))
    option: str = approval.option_id
    ids: List[str] = nod.ask("Which?", Selection(["a", "b"])).selected_ids
    text: str = nod.ask("Say", TextInput()).text
    env = nod.ask("Form", Form([FormField("env", "text", "Env")])).values["env"]
    data = nod.ask("Any", Freeform()).data
    print(option, ids, text, env, data)
    raw: Answer = nod.ask("Raw", RawReview("approval", {"options": [{"id": "go", "label": "Go"}]}), expires_in_seconds=60)
    print(raw.response)
