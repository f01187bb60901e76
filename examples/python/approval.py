"""Ask a person to approve a report with Python requests: store the file, ask with it attached,
long-poll for the answer, and report the agent's status.

Usage: NOD_URL=http://localhost:8787 NOD_API_KEY=hp_... NOD_CHANNEL=<agent id> python3 approval.py
"""
import os
import sys

import requests

NOD_URL = os.environ["NOD_URL"].rstrip("/")
API_KEY = os.environ["NOD_API_KEY"]
CHANNEL_ID = os.environ["NOD_CHANNEL"]

session = requests.Session()
session.headers["Authorization"] = f"Bearer {API_KEY}"


def check(resp):
    """The parsed JSON body, or exit with the server's error message."""
    if resp.status_code >= 400:
        sys.exit(f"Nod answered {resp.status_code}: {resp.text}")
    return resp.json()


# 1. Tell the inbox we are working.
check(session.post(f"{NOD_URL}/api/v1/status/ping", json={"agentId": CHANNEL_ID, "status": "busy", "message": "Waiting for a review"}))

# 2. Store the report (it waits, unattached, until a message names it).
report = b"Quarterly report\n\nRevenue: up 12%\nCosts: down 3%\n"
attachment = check(session.post(
    f"{NOD_URL}/api/v1/files/store",
    files={"file": ("report.txt", report, "text/plain")},
    data={"channelId": CHANNEL_ID},
))
print(f"Uploaded: {attachment['filename']} ({attachment['size']} bytes)")

# 3. Ask for an approval with the report attached.
msg = check(session.post(f"{NOD_URL}/api/v1/messages", json={
    "channelId": CHANNEL_ID,
    "text": "Please review the attached report.",
    "status": "warning",
    "attachmentIds": [attachment["id"]],
    "review": {
        "type": "approval",
        "payload": {
            "options": [
                {"id": "approve", "label": "Approve", "style": "primary"},
                {"id": "reject", "label": "Reject", "style": "danger"},
            ],
            "allowComment": True,
        },
        "expiresInSeconds": 3600,
    },
}))

# 4. Long-poll until the person answers (each call waits up to 30 s) or the review expires.
while True:
    result = check(session.get(
        f"{NOD_URL}/api/v1/reviews/{msg['id']}/wait",
        params={"channel": CHANNEL_ID, "timeout": 30000},
    ))
    if result["status"] == "completed":
        response = result["message"]["review"]["response"]
        print(f"Human chose: {response['selectedOption']}")
        if response.get("comment"):
            print(f"Comment: {response['comment']}")
        break
    if result["status"] == "expired":
        sys.exit("The review expired without an answer")
    # "timeout": nobody answered yet, poll again

# 5. Back to normal.
check(session.post(f"{NOD_URL}/api/v1/status/ping", json={"agentId": CHANNEL_ID, "status": "active"}))
