// Ask a person to approve a deploy with Node's fetch, then long-poll until they answer.
// Usage: NOD_URL=http://localhost:8787 NOD_API_KEY=hp_… NOD_CHANNEL=<agent id> node approval.mjs
const { NOD_URL, NOD_API_KEY, NOD_CHANNEL } = process.env;
if (!NOD_URL || !NOD_API_KEY || !NOD_CHANNEL) {
  console.error("Set NOD_URL, NOD_API_KEY and NOD_CHANNEL");
  process.exit(2);
}

async function nod(method, path, body) {
  const res = await fetch(`${NOD_URL.replace(/\/+$/, "")}${path}`, {
    method,
    headers: { "x-api-key": NOD_API_KEY, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`Nod answered ${res.status}: ${data.message}`);
  return data;
}

// 1. Ask.
const message = await nod("POST", "/api/v1/messages", {
  channelId: NOD_CHANNEL,
  text: "### Deploy v2.1.0 to production?",
  review: {
    type: "approval",
    payload: {
      options: [
        { id: "approve", label: "Approve", style: "primary" },
        { id: "reject", label: "Reject", style: "danger" },
      ],
      allowComment: true,
    },
    expiresInSeconds: 3600,
  },
});
console.log(`Approval sent: ${message.id}`);

// 2. Long-poll until answered or expired; "timeout" means ask again.
for (;;) {
  const result = await nod("GET", `/api/v1/reviews/${message.id}/wait?channel=${encodeURIComponent(NOD_CHANNEL)}&timeout=30000`);
  if (result.status === "completed") {
    const { selectedOption, comment } = result.message.review.response;
    console.log(`Decision: ${selectedOption}`);
    if (comment) console.log(`Comment: ${comment}`);
    console.log(selectedOption === "approve" ? "Deploying..." : "Deployment cancelled");
    break;
  }
  if (result.status === "expired") {
    console.error("The review expired without an answer");
    process.exit(1);
  }
}
