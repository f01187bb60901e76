"""A Placet agent in Python, written from Placet's REST API reference (docs/openapi.json) and its
Python guide: store a file, send it with an approval request, long-poll for the decision, download
the file back. Only stdlib and `requests`; the instance, key and channel come from the environment
(PLACET_URL, PLACET_API_KEY, PLACET_CHANNEL), as in Placet's cURL guide. Reads ./report.pdf and
writes ./downloaded.pdf.

Each step checks the response shape Placet documents and exits non-zero naming the call if it differs.
"""

import os
import sys

import requests

PLACET_URL = os.environ["PLACET_URL"].rstrip("/")
API_KEY = os.environ["PLACET_API_KEY"]
CHANNEL_ID = os.environ["PLACET_CHANNEL"]
POLL_TIMEOUT_MS = os.environ.get("PLACET_POLL_TIMEOUT_MS", "30000")

session = requests.Session()
session.headers["x-api-key"] = API_KEY


def fail(what, detail):
    print(f"FAILED {what}: {detail}", file=sys.stderr)
    sys.exit(1)


def call(method, path, expected, **kwargs):
    """One API call; any status other than the documented one ends the script with the body."""
    resp = session.request(method, f"{PLACET_URL}{path}", timeout=60, **kwargs)
    if resp.status_code != expected:
        fail(f"{method} {path}", f"HTTP {resp.status_code} (expected {expected}): {resp.text}")
    return resp


def expect(condition, what, detail):
    if not condition:
        fail(what, detail)


# 1. The channels this key can use: a bare array of agents (AgentResponse[]).
agents = call("GET", "/api/v1/agents", 200).json()
expect(isinstance(agents, list), "GET /api/v1/agents", f"expected a JSON array of agents, got {agents!r}")
channel = next((a for a in agents if a["id"] == CHANNEL_ID), None)
expect(channel is not None, "GET /api/v1/agents", f"channel {CHANNEL_ID} is not listed: {agents!r}")
print(f"Channel: {channel['name']}")

# 2. Store the report without a message yet (AttachmentResponse, messageId not set).
with open("report.pdf", "rb") as f:
    original = f.read()
with open("report.pdf", "rb") as f:
    attachment = call(
        "POST",
        "/api/v1/files/store",
        201,
        files={"file": ("report.pdf", f, "application/pdf")},
        data={"channelId": CHANNEL_ID},
    ).json()
for field in ("id", "messageId", "filename", "mimeType", "size", "createdAt"):
    expect(field in attachment, "POST /api/v1/files/store", f"no {field!r} in {attachment!r}")
expect(attachment["filename"] == "report.pdf", "POST /api/v1/files/store", f"filename {attachment['filename']!r}")
expect(attachment["mimeType"] == "application/pdf", "POST /api/v1/files/store", f"mimeType {attachment['mimeType']!r}")
expect(attachment["size"] == len(original), "POST /api/v1/files/store", f"size {attachment['size']} != {len(original)}")
expect(attachment["messageId"] is None, "POST /api/v1/files/store", f"a stored file has no message yet: {attachment!r}")
print(f"Uploaded: {attachment['filename']} (id: {attachment['id']})")

# 3. Send it with an approval request.
msg = call(
    "POST",
    "/api/v1/messages",
    201,
    json={
        "channelId": CHANNEL_ID,
        "text": "Please review the attached Q3 report.",
        "status": "warning",
        "attachmentIds": [attachment["id"]],
        "metadata": {"runId": "py-approval-1"},
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
    },
).json()
expect(msg["channelId"] == CHANNEL_ID, "POST /api/v1/messages", f"channelId {msg.get('channelId')!r}")
expect(msg["review"]["status"] == "pending", "POST /api/v1/messages", f"review {msg.get('review')!r}")
expect(
    [a["id"] for a in msg["attachments"]] == [attachment["id"]],
    "POST /api/v1/messages",
    f"attachments {msg.get('attachments')!r}",
)
print(f"Message sent: {msg['id']}")

# 4. It is among the channel's pending reviews: a bare array of messages.
pending = call("GET", "/api/v1/reviews/pending", 200, params={"channel": CHANNEL_ID}).json()
expect(isinstance(pending, list), "GET /api/v1/reviews/pending", f"expected a JSON array, got {pending!r}")
expect(
    msg["id"] in [m["id"] for m in pending],
    "GET /api/v1/reviews/pending",
    f"{msg['id']} not in {[m['id'] for m in pending]}",
)
print(f"Pending reviews: {len(pending)}")

# 5. Long-poll until the person decides ("timeout": ask again).
while True:
    result = call(
        "GET",
        f"/api/v1/reviews/{msg['id']}/wait",
        200,
        params={"channel": CHANNEL_ID, "timeout": POLL_TIMEOUT_MS},
    ).json()
    status = result.get("status")
    if status == "completed":
        break
    if status == "expired":
        fail("wait", "the review expired")
    expect(status == "timeout", "GET /api/v1/reviews/:id/wait", f"unexpected status in {result!r}")
    print("Still waiting for a decision...", flush=True)

review = result["message"]["review"]
expect(review["status"] == "completed", "wait result", f"review {review!r}")
decision = review["response"]["selectedOption"]

# 6. Download the report again and compare the bytes.
resp = call("GET", f"/api/v1/files/{attachment['id']}/download", 200)
with open("downloaded.pdf", "wb") as f:
    f.write(resp.content)
expect(resp.content == original, "GET /api/v1/files/:id/download", f"{len(resp.content)} bytes differ from the {len(original)} uploaded")
print(f"Downloaded {len(resp.content)} bytes, identical to the upload")

# 7. The channel's files, a bare array of attachments: the report now names its message.
files = call("GET", "/api/v1/files", 200, params={"channel": CHANNEL_ID}).json()
expect(isinstance(files, list), "GET /api/v1/files", f"expected a JSON array of attachments, got {files!r}")
listed_file = next((f for f in files if f["id"] == attachment["id"]), None)
expect(listed_file is not None, "GET /api/v1/files", f"{attachment['id']} not in {files!r}")
expect(listed_file["messageId"] == msg["id"], "GET /api/v1/files", f"messageId {listed_file['messageId']!r} != {msg['id']!r}")
expect(listed_file["filename"] == "report.pdf", "GET /api/v1/files", f"filename {listed_file['filename']!r}")

# 8. The message history pages as {data, nextCursor}, the answered review included.
page = call("GET", "/api/v1/messages", 200, params={"channel": CHANNEL_ID, "limit": "10"}).json()
expect(
    isinstance(page, dict) and isinstance(page.get("data"), list) and "nextCursor" in page,
    "GET /api/v1/messages",
    f"expected {{data, nextCursor}}, got {page!r}",
)
listed = next((m for m in page["data"] if m["id"] == msg["id"]), None)
expect(listed is not None, "GET /api/v1/messages", f"{msg['id']} not listed")
expect(listed["review"]["status"] == "completed", "GET /api/v1/messages", f"review {listed['review']!r}")

print(f"Human chose: {decision}")
