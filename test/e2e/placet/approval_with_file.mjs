// A Placet agent in Node (ES module, built-in fetch), written from Placet's REST API reference
// (docs/openapi.json) and its TypeScript guide: store a file, send it with an approval request,
// long-poll for the decision, download the file back, then post a summary with /files/upload.
// The instance, key and channel come from the environment (PLACET_URL, PLACET_API_KEY,
// PLACET_CHANNEL). Reads ./report.pdf.
//
// Each step checks the response shape Placet documents and exits non-zero naming the call if it differs.
import { readFile } from "node:fs/promises";

const PLACET_URL = process.env.PLACET_URL.replace(/\/$/, "");
const API_KEY = process.env.PLACET_API_KEY;
const CHANNEL_ID = process.env.PLACET_CHANNEL;
const POLL_TIMEOUT_MS = process.env.PLACET_POLL_TIMEOUT_MS ?? "30000";

function fail(what, detail) {
  console.error(`FAILED ${what}: ${detail}`);
  process.exit(1);
}

function expect(condition, what, detail) {
  if (!condition) fail(what, detail);
}

/** One API call; any status other than the documented one ends the script with the body. */
async function call(method, path, expected, init = {}) {
  const resp = await fetch(`${PLACET_URL}${path}`, {
    method,
    ...init,
    headers: { "x-api-key": API_KEY, ...init.headers },
  });
  if (resp.status !== expected) fail(`${method} ${path}`, `HTTP ${resp.status} (expected ${expected}): ${await resp.text()}`);
  return resp;
}

const json = (body) => ({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

// 1. The channels this key can use: a bare array of agents (AgentResponse[]).
const agents = await (await call("GET", "/api/v1/agents", 200)).json();
expect(Array.isArray(agents), "GET /api/v1/agents", `expected a JSON array of agents, got ${JSON.stringify(agents)}`);
const channel = agents.find((a) => a.id === CHANNEL_ID);
expect(channel, "GET /api/v1/agents", `channel ${CHANNEL_ID} is not listed: ${JSON.stringify(agents)}`);
console.log(`Channel: ${channel.name}`);

// A plain status message first (no files), as agents post while they work.
const started = await (
  await call("POST", "/api/v1/messages", 201, json({ channelId: CHANNEL_ID, text: "Preparing the deployment plan.", status: "info" }))
).json();
expect(started.review === null && started.attachments.length === 0, "POST /api/v1/messages", `a plain message: ${JSON.stringify(started)}`);

// 2. Store the report without a message yet (AttachmentResponse, messageId not set).
const original = await readFile("report.pdf");
const form = new FormData();
form.append("file", new Blob([original], { type: "application/pdf" }), "report.pdf");
form.append("channelId", CHANNEL_ID);
const attachment = await (await call("POST", "/api/v1/files/store", 201, { body: form })).json();
for (const field of ["id", "messageId", "filename", "mimeType", "size", "createdAt"]) {
  expect(field in attachment, "POST /api/v1/files/store", `no "${field}" in ${JSON.stringify(attachment)}`);
}
expect(attachment.filename === "report.pdf", "POST /api/v1/files/store", `filename ${attachment.filename}`);
expect(attachment.size === original.length, "POST /api/v1/files/store", `size ${attachment.size} != ${original.length}`);
expect(attachment.messageId === null, "POST /api/v1/files/store", `a stored file has no message yet: ${JSON.stringify(attachment)}`);
console.log(`Uploaded: ${attachment.filename} (id: ${attachment.id})`);

// 3. Send it with an approval request.
const approvalMsg = await (
  await call(
    "POST",
    "/api/v1/messages",
    201,
    json({
      channelId: CHANNEL_ID,
      text: "Please review the attached deployment plan.",
      status: "warning",
      attachmentIds: [attachment.id],
      review: {
        type: "approval",
        payload: {
          options: [
            { id: "approve", label: "Approve", style: "primary" },
            { id: "reject", label: "Reject", style: "danger" },
          ],
        },
      },
    }),
  )
).json();
expect(approvalMsg.review?.status === "pending", "POST /api/v1/messages", `review ${JSON.stringify(approvalMsg.review)}`);
expect(approvalMsg.attachments.map((a) => a.id).join() === attachment.id, "POST /api/v1/messages", `attachments ${JSON.stringify(approvalMsg.attachments)}`);
console.log(`Message sent: ${approvalMsg.id}`);

// 4. It is among the channel's pending reviews: a bare array of messages.
const pending = await (await call("GET", `/api/v1/reviews/pending?channel=${CHANNEL_ID}`, 200)).json();
expect(Array.isArray(pending), "GET /api/v1/reviews/pending", `expected a JSON array, got ${JSON.stringify(pending)}`);
expect(
  pending.some((m) => m.id === approvalMsg.id),
  "GET /api/v1/reviews/pending",
  `${approvalMsg.id} not in ${JSON.stringify(pending.map((m) => m.id))}`,
);

// 5. Long-poll until the person decides ("timeout": ask again).
let review;
while (true) {
  review = await (await call("GET", `/api/v1/reviews/${approvalMsg.id}/wait?channel=${CHANNEL_ID}&timeout=${POLL_TIMEOUT_MS}`, 200)).json();
  if (review.status === "completed") break;
  if (review.status === "expired") fail("wait", "the review expired");
  expect(review.status === "timeout", "GET /api/v1/reviews/:id/wait", `unexpected ${JSON.stringify(review)}`);
  console.log("Still waiting for a decision...");
}
const decision = review.message.review.response.selectedOption;

// 6. Download the report again and compare the bytes.
const dlResp = await call("GET", `/api/v1/files/${attachment.id}/download`, 200);
const downloaded = Buffer.from(await dlResp.arrayBuffer());
expect(downloaded.equals(original), "GET /api/v1/files/:id/download", `${downloaded.length} bytes differ from the ${original.length} uploaded`);
console.log(`Downloaded ${downloaded.length} bytes, identical to the upload`);

// 7. Post a summary file as a message of its own: /files/upload answers the attachment and the message.
const summary = `Deployment plan: ${decision}\n`;
const uploadForm = new FormData();
uploadForm.append("file", new Blob([summary], { type: "text/plain" }), "summary.txt");
uploadForm.append("channelId", CHANNEL_ID);
uploadForm.append("text", "Decision summary");
const uploaded = await (await call("POST", "/api/v1/files/upload", 201, { body: uploadForm })).json();
expect(uploaded.filename === "summary.txt", "POST /api/v1/files/upload", `filename in ${JSON.stringify(uploaded)}`);
expect(uploaded.message && typeof uploaded.message === "object", "POST /api/v1/files/upload", `no message in ${JSON.stringify(uploaded)}`);
expect(uploaded.messageId === uploaded.message.id, "POST /api/v1/files/upload", `messageId ${uploaded.messageId} != message.id ${uploaded.message.id}`);
expect(uploaded.message.text === "Decision summary", "POST /api/v1/files/upload", `message text ${JSON.stringify(uploaded.message.text)}`);
expect(
  uploaded.message.attachments.some((a) => a.id === uploaded.id),
  "POST /api/v1/files/upload",
  `the message does not carry ${uploaded.id}: ${JSON.stringify(uploaded.message.attachments)}`,
);
const summaryBack = await (await call("GET", `/api/v1/files/${uploaded.id}/download`, 200)).text();
expect(summaryBack === summary, "GET /api/v1/files/:id/download", `summary.txt came back as ${JSON.stringify(summaryBack)}`);
console.log(`Summary uploaded: ${uploaded.id} in message ${uploaded.message.id}`);

// 8. Notes as text, stored as a file of the message (textAttachments; filename and type default to content.md, text/markdown).
const notes = "# Notes\n\nRollout in two waves.\n";
const withNotes = await (
  await call("POST", "/api/v1/messages", 201, json({ channelId: CHANNEL_ID, text: "Rollout notes", textAttachments: [{ content: notes }] }))
).json();
expect(withNotes.attachments.length === 1, "POST /api/v1/messages with textAttachments", `attachments ${JSON.stringify(withNotes.attachments)}`);
const [notesFile] = withNotes.attachments;
expect(
  notesFile.filename === "content.md" && notesFile.mimeType.startsWith("text/markdown"),
  "POST /api/v1/messages with textAttachments",
  `expected content.md as text/markdown, got ${JSON.stringify(notesFile)}`,
);
const notesBack = await (await call("GET", `/api/v1/files/${notesFile.id}/download`, 200)).text();
expect(notesBack === notes, "GET /api/v1/files/:id/download", `the notes came back as ${JSON.stringify(notesBack)}`);
console.log(`Notes attached: ${notesFile.id}`);

// 9. The messages with files, as {data, nextCursor}: ours, and nothing without attachments.
const page = await (await call("GET", `/api/v1/messages?channel=${CHANNEL_ID}&has_attachments=true&limit=10`, 200)).json();
expect(Array.isArray(page.data) && "nextCursor" in page, "GET /api/v1/messages", `expected {data, nextCursor}, got ${JSON.stringify(page)}`);
const ids = page.data.map((m) => m.id);
expect(
  [approvalMsg.id, uploaded.message.id, withNotes.id].every((id) => ids.includes(id)),
  "GET /api/v1/messages?has_attachments=true",
  `our messages with files missing from ${JSON.stringify(ids)}`,
);
expect(!ids.includes(started.id), "GET /api/v1/messages?has_attachments=true", `the plain message ${started.id} is listed`);
expect(
  page.data.every((m) => m.attachments.length > 0),
  "GET /api/v1/messages?has_attachments=true",
  `a message without attachments is listed: ${JSON.stringify(page.data.filter((m) => m.attachments.length === 0).map((m) => m.id))}`,
);
const without = await (await call("GET", `/api/v1/messages?channel=${CHANNEL_ID}&has_attachments=false`, 200)).json();
expect(
  without.data.some((m) => m.id === started.id) && without.data.every((m) => m.attachments.length === 0),
  "GET /api/v1/messages?has_attachments=false",
  `expected only messages without files, ${started.id} among them: ${JSON.stringify(without.data.map((m) => [m.id, m.attachments.length]))}`,
);

console.log(`Decision: ${decision}`);
