"""A Placet agent's revision loop in Python, written from Placet's "Iterations & Versioning" guide and
its REST API reference: send a draft for approval, and while the person rejects it, revise it with
their feedback and send the next version with `iterationOf`; then read the whole chain back from
GET /api/v1/messages/iterations/:id. Stdlib and `requests` only; the instance, key and channel come
from the environment (PLACET_URL, PLACET_API_KEY, PLACET_CHANNEL).

Prints one line per step and, last, the chain as one line of JSON: {"groupId", "iterations": [...]}.
"""

import json
import os
import sys

import requests

PLACET_URL = os.environ["PLACET_URL"].rstrip("/")
API_KEY = os.environ["PLACET_API_KEY"]
CHANNEL_ID = os.environ["PLACET_CHANNEL"]
POLL_TIMEOUT_MS = os.environ.get("PLACET_POLL_TIMEOUT_MS", "30000")
MAX_ROUNDS = 5

session = requests.Session()
session.headers["x-api-key"] = API_KEY


def fail(what, detail):
    print(f"FAILED {what}: {detail}", file=sys.stderr)
    sys.exit(1)


def call(method, path, expected, **kwargs):
    resp = session.request(method, f"{PLACET_URL}{path}", timeout=60, **kwargs)
    if resp.status_code != expected:
        fail(f"{method} {path}", f"HTTP {resp.status_code} (expected {expected}): {resp.text}")
    return resp.json()


def revise(content, feedback):
    return f"{content}\n\nRevised after feedback: {feedback}"


content = "Q1 report draft.\n\n- Revenue: $1.2M\n- Growth: 15%"
iteration_of = None
first_id = None

for round_no in range(1, MAX_ROUNDS + 1):
    body = {
        "channelId": CHANNEL_ID,
        "text": content,
        "status": "warning",
        "metadata": {"round": round_no},
        "review": {
            "type": "approval",
            "payload": {
                "options": [
                    {"id": "approve", "label": "Approve", "style": "primary"},
                    {"id": "reject", "label": "Reject", "style": "danger"},
                ]
            },
        },
    }
    if iteration_of:
        body["iterationOf"] = iteration_of

    msg = call("POST", "/api/v1/messages", 201, json=body)
    first_id = first_id or msg["id"]
    if iteration_of:
        # A revision answers with its place in the chain.
        if msg.get("iteration") != round_no or msg.get("iterationGroupId") != first_id:
            fail(
                "POST /api/v1/messages with iterationOf",
                f"expected iteration {round_no} of group {first_id}, got "
                f"iteration={msg.get('iteration')!r} iterationGroupId={msg.get('iterationGroupId')!r}",
            )
    print(f"Round {round_no}: sent {msg['id']}", flush=True)

    while True:
        result = call(
            "GET",
            f"/api/v1/reviews/{msg['id']}/wait",
            200,
            params={"channel": CHANNEL_ID, "timeout": POLL_TIMEOUT_MS},
        )
        if result["status"] != "timeout":
            break
        print(f"Round {round_no}: still waiting...", flush=True)

    if result["status"] != "completed":
        fail("wait", f"round {round_no} ended as {result['status']}")

    # Placet delivers the answer as-is: the agent decides what it means.
    review = result["message"]["review"]
    response = review.get("response") or {}
    if response.get("selectedOption") == "reject":
        feedback = review.get("feedback")
        if not feedback:
            fail("wait result", f"round {round_no} was rejected without feedback in message.review: {review!r}")
        print(f"Round {round_no}: rejected, feedback: {feedback}", flush=True)
        content = revise(content, feedback)
        iteration_of = msg["id"]
        continue

    print(f"Round {round_no}: {response.get('selectedOption')}", flush=True)
    break
else:
    fail("loop", f"no approval after {MAX_ROUNDS} rounds")

# The whole chain, from any of its messages (here the last one).
chain = call("GET", f"/api/v1/messages/iterations/{msg['id']}", 200, params={"channel": CHANNEL_ID})
if not isinstance(chain, dict) or "groupId" not in chain or not isinstance(chain.get("iterations"), list):
    fail("GET /api/v1/messages/iterations/:id", f"expected {{groupId, iterations}}, got {chain!r}")
# "You can pass any message ID from the chain": the first one gives the same chain.
from_first = call("GET", f"/api/v1/messages/iterations/{first_id}", 200, params={"channel": CHANNEL_ID})
if from_first != chain:
    fail("GET /api/v1/messages/iterations/:id", f"the chain read from {first_id} differs: {from_first!r} != {chain!r}")

summary = {
    "groupId": chain["groupId"],
    "iterations": [
        {
            "id": m["id"],
            "iteration": m["iteration"],
            "iterationGroupId": m["iterationGroupId"],
            "status": m["review"]["status"],
            "selectedOption": (m["review"]["response"] or {}).get("selectedOption"),
            "feedback": m["review"].get("feedback"),
            "text": m["text"],
        }
        for m in chain["iterations"]
    ],
}
print(json.dumps(summary))
