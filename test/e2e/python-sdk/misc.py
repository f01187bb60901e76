"""The other calls: ping, channels, upload, send with an attachment, pending, wait with a timeout, and the
errors: bad input (InvalidRequest with the server's list), a wrong key (Unauthorized). Prints one JSON object."""
import json
import os

from nod_client import Approval, InvalidRequest, NodClient, TextInput, Unauthorized, WaitTimeout

URL, KEY, CHANNEL = os.environ["NOD_URL"], os.environ["NOD_API_KEY"], os.environ["NOD_CHANNEL"]
nod = NodClient(URL, KEY, CHANNEL)
out = {}

agent = nod.ping("busy", "Running the tests")
out["ping"] = {"status": agent.status, "statusMessage": agent.status_message}
out["channels"] = [c.id for c in nod.channels()]

stored = nod.upload(b"line one\nline two\n", filename="notes.txt")
out["upload"] = {"filename": stored.filename, "mimeType": stored.mime_type, "size": stored.size, "textContent": stored.text_content, "messageId": stored.message_id}
sent = nod.send("Notes attached", status="success", attachment_ids=[stored.id], metadata={"run": 1})
out["send"] = {"seq": sent.seq, "status": sent.status, "attachments": [a.filename for a in sent.attachments], "review": sent.review}

asked = nod.send("Still pending?", review=Approval(["yes", "no"]), expires_in_seconds=600)
out["pending"] = asked.id in [m.id for m in nod.pending()]
try:
    nod.wait(asked.id, timeout=1.5)
    out["waitTimeout"] = "no exception"
except WaitTimeout as err:
    out["waitTimeout"] = {"messageId": err.message_id}

try:
    nod.ask("Bad", Approval([]))
except InvalidRequest as err:
    out["invalid"] = {"class": type(err).__name__, "status": err.status, "errors": [{"path": e.path, "message": e.message} for e in err.errors]}
try:
    nod.ask("Bad too", TextInput(min_length=-1, max_length=0))
except InvalidRequest as err:
    out["invalid2"] = sorted(e.path for e in err.errors)

try:
    NodClient(URL, "hp_wrong").channels()
except Unauthorized as err:
    out["unauthorized"] = {"class": type(err).__name__, "status": err.status}

print(json.dumps(out), flush=True)
