"""subscribe(): the message:created and review:responded events of an ask the person answers; a wrong key
raises Unauthorized, a channel the key may not use NotFound."""
import json
import os
import threading

from nod_client import Approval, Message, NodClient, NotFound, Unauthorized

URL, KEY, CHANNEL = os.environ["NOD_URL"], os.environ["NOD_API_KEY"], os.environ["NOD_CHANNEL"]
nod = NodClient(URL, KEY, CHANNEL)
refusals = {}
try:
    NodClient(URL, "hp_wrong", CHANNEL).subscribe({})
except Unauthorized as err:
    refusals["wrongKey"] = [type(err).__name__, err.status]
try:
    nod.subscribe({}, channels=[os.environ["OTHER_CHANNEL"]])
except NotFound as err:
    refusals["otherChannel"] = [type(err).__name__, err.status, str(err)]
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
    "refusals": refusals,
}), flush=True)
