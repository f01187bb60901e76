"""Act as a person from a script: sign in with email and password, follow a channel live, and answer the
first approval review asked there with its first option (one asked before the script started counts too).

The session token is the `access_token` cookie the sign-in sets; sent back as `Authorization: Bearer`, it
works on the whole user API, as the web app's session does, until you sign out or change your password.

Usage: NOD_URL=http://localhost:8787 NOD_EMAIL=you@example.com NOD_PASSWORD=... NOD_CHANNEL=<agent id> \
       python3 person.py
"""
import os
import sys
import threading

import requests
import socketio

NOD_URL = os.environ["NOD_URL"].rstrip("/")
CHANNEL_ID = os.environ["NOD_CHANNEL"]

login = requests.post(
    f"{NOD_URL}/api/auth/login",
    json={"email": os.environ["NOD_EMAIL"], "password": os.environ["NOD_PASSWORD"]},
)
if login.status_code != 200:
    sys.exit(f"Sign-in refused ({login.status_code}): {login.text}")
session = requests.Session()
session.headers["Authorization"] = "Bearer " + login.cookies["access_token"]

answered = threading.Event()
lock = threading.Lock()
taken = set()


def answer(message):
    """Approves a pending approval review with its first option, once."""
    review = message.get("review")
    if not review or review["type"] != "approval" or review["status"] != "pending":
        return
    with lock:
        if answered.is_set() or message["id"] in taken:
            return
        taken.add(message["id"])
    option = review["payload"]["options"][0]["id"]
    resp = session.post(f"{NOD_URL}/api/messages/{message['id']}/respond", json={"response": {"selectedOption": option}})
    if resp.status_code == 200:
        print(f"Answered {message['id']}: {option}", flush=True)
        answered.set()
    else:
        print(f"Could not answer {message['id']} ({resp.status_code}): {resp.text}", file=sys.stderr, flush=True)


sio = socketio.Client()


@sio.on("message:created", namespace="/ws")
def on_created(message):
    print(f"New message: {message.get('text')}", flush=True)
    answer(message)


# A socket opens with a ticket (valid 60 s, one connection), asked for with the session token.
ticket = session.post(f"{NOD_URL}/api/auth/ws-ticket")
if ticket.status_code != 200:
    sys.exit(f"No ticket ({ticket.status_code}): {ticket.text}")
sio.connect(NOD_URL, namespaces=["/ws"], auth={"token": ticket.json()["ticket"]}, transports=["websocket"])
ack = sio.call("subscribe:channel", CHANNEL_ID, namespace="/ws", timeout=10)
if not ack or not ack.get("ok"):
    sio.disconnect()
    sys.exit(f"Channel {CHANNEL_ID} refused")
print(f"Subscribed to {CHANNEL_ID}", flush=True)

# What was asked before the subscription is in the inbox.
pending = session.get(f"{NOD_URL}/api/reviews", params={"status": "pending", "channel": CHANNEL_ID})
for message in pending.json()["data"]:
    answer(message)

answered.wait()
sio.disconnect()
