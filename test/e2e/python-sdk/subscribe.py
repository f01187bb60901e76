"""subscribe(): the message:created and review:responded events of an ask the person answers."""
import json
import os
import threading

from nod_client import Approval, Message, NodClient

nod = NodClient(os.environ["NOD_URL"], os.environ["NOD_API_KEY"], os.environ["NOD_CHANNEL"])
created, responded = [], []
got = threading.Event()


def on_responded(message: Message) -> None:
    responded.append(message)
    got.set()


sub = nod.subscribe({"message:created": created.append, "review:responded": on_responded})
print("subscribed", flush=True)
answer = nod.ask("Ship the hotfix?", Approval(["ship", "hold"]))
got.wait(10)
sub.close()
print(json.dumps({
    "answer": answer.option_id,
    "created": [m.id for m in created],
    "createdTypes": sorted({type(m).__name__ for m in created}),
    "responded": [{"id": m.id, "status": m.review.status, "option": (m.review.response or {}).get("selectedOption")} for m in responded],
    "askedId": answer.message_id,
}), flush=True)
