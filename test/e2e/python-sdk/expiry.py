"""A review nobody answers expires: ask() raises ReviewExpired on time."""
import json
import os
import time

from nod_client import Approval, NodClient, ReviewExpired

nod = NodClient(os.environ["NOD_URL"], os.environ["NOD_API_KEY"], os.environ["NOD_CHANNEL"])
started = time.monotonic()
try:
    answer = nod.ask("Nobody will answer this", Approval(["ok"]), expires_in_seconds=2)
    print(json.dumps({"unexpected": answer.response}))
except ReviewExpired as err:
    print(json.dumps({"expired": err.message_id, "status": err.message.review.status, "seconds": round(time.monotonic() - started, 2)}), flush=True)
