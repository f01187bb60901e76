"""ask() across a restart of the server mid-wait, with a subscription open: the wait retries (logged on
stderr) and gets the answer; the socket reconnects and gets the message posted while it was away (replayed:
it resubscribes with the last seq it saw). Its reconnect attempts are 3 s apart (2.5 to 3.5 s), so a message
posted the moment the server is back is almost always created before the socket is."""
import json
import logging
import os
import threading
import time

from nod_client import Approval, NodClient

logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
nod = NodClient(os.environ["NOD_URL"], os.environ["NOD_API_KEY"], os.environ["NOD_CHANNEL"])
created, responded = [], []
done = threading.Event()


def on_created(message):
    created.append(message.text)
    if message.text == "while you were away":
        done.set()


sub = nod.subscribe(
    {"message:created": on_created, "review:responded": lambda m: responded.append(m.id)},
    reconnection_delay=3,
    reconnection_delay_max=3,
)
started = time.monotonic()
answer = nod.ask("Survive a restart?", Approval(["yes", "no"]))
waited = round(time.monotonic() - started, 2)
done.wait(30)
time.sleep(0.5)  # a review:responded that comes live after the reconnect
print(json.dumps({
    "answer": answer.option_id,
    "waited": waited,
    "connects": sub.connects,
    "created": created,
    "respondedEvent": answer.message_id in responded,
}), flush=True)
sub.close()
