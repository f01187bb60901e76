"""Follow a channel live with python-socketio: subscribe, ask for an approval, and print the answer the
moment the person gives it (the review:responded event), with no polling.

Usage: NOD_URL=http://localhost:8787 NOD_API_KEY=hp_... NOD_CHANNEL=<agent id> python3 listen.py
"""
import os
import sys
import threading

import requests
import socketio

NOD_URL = os.environ["NOD_URL"].rstrip("/")
API_KEY = os.environ["NOD_API_KEY"]
CHANNEL_ID = os.environ["NOD_CHANNEL"]

sio = socketio.Client()
done = threading.Event()
lock = threading.Lock()
state = {"asked": None, "code": 1}
seen = {}  # answers and expiries by message id (one may arrive before we know our id)


def report():
    with lock:
        event = seen.get(state["asked"]) if state["asked"] else None
        if event is None or done.is_set():
            return
        if event == "expired":
            print("The review expired without an answer", file=sys.stderr, flush=True)
        else:
            if event.get("comment"):
                print(f"Comment: {event['comment']}", flush=True)
            print(f"Decision: {event['selectedOption']}", flush=True)
            state["code"] = 0
        done.set()


@sio.on("review:responded", namespace="/ws")
def on_responded(message):
    seen[message["id"]] = message["review"]["response"]
    report()


@sio.on("review:expired", namespace="/ws")
def on_expired(event):
    seen[event["messageId"]] = "expired"
    report()


refused = {}


@sio.on("connect_error", namespace="/ws")
def on_connect_error(data):
    refused["reason"] = data.get("message") if isinstance(data, dict) else data


try:
    sio.connect(NOD_URL, namespaces=["/ws"], auth={"apiKey": API_KEY}, transports=["websocket"])
except socketio.exceptions.ConnectionError as err:
    sys.exit(f"Could not connect: {refused.get('reason') or err}")

# Subscribe and wait for the server's ack before asking, so the answer cannot be missed.
ack = sio.call("subscribe:channel", CHANNEL_ID, namespace="/ws", timeout=10)
if not ack or not ack.get("ok"):
    sio.disconnect()
    sys.exit(f"Channel {CHANNEL_ID} refused")
print(f"Subscribed to {CHANNEL_ID}", flush=True)

resp = requests.post(
    f"{NOD_URL}/api/v1/messages",
    headers={"x-api-key": API_KEY},
    json={
        "channelId": CHANNEL_ID,
        "text": "Restart the stuck worker?",
        "review": {
            "type": "approval",
            "payload": {
                "options": [
                    {"id": "restart", "label": "Restart", "style": "primary"},
                    {"id": "wait", "label": "Leave it", "style": "secondary"},
                ],
                "allowComment": True,
            },
            "expiresInSeconds": 3600,
        },
    },
)
if resp.status_code >= 400:
    sio.disconnect()
    sys.exit(f"Nod answered {resp.status_code}: {resp.text}")
state["asked"] = resp.json()["id"]
print(f"Asked: {state['asked']}", flush=True)
report()

done.wait()
sio.disconnect()
sys.exit(state["code"])
