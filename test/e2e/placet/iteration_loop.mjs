// A Placet agent's revision loop in Node (ES module, built-in fetch), written from Placet's
// "Iterations & Versioning" guide and its REST API reference: send a draft for approval, and while the
// person rejects it, revise it with their feedback and send the next version with `iterationOf`; then
// read the whole chain back from GET /api/v1/messages/iterations/:id. The instance, key and channel
// come from the environment (PLACET_URL, PLACET_API_KEY, PLACET_CHANNEL).
//
// Prints one line per step and, last, the chain as one line of JSON: {"groupId", "iterations": [...]}.
const base = process.env.PLACET_URL.replace(/\/$/, "");
const channel = process.env.PLACET_CHANNEL;
const headers = { "x-api-key": process.env.PLACET_API_KEY, "Content-Type": "application/json" };
const pollTimeout = process.env.PLACET_POLL_TIMEOUT_MS ?? "30000";
const MAX_ROUNDS = 5;

function fail(what, detail) {
  console.error(`FAILED ${what}: ${detail}`);
  process.exit(1);
}

async function call(method, path, expected, body) {
  const resp = await fetch(`${base}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (resp.status !== expected) fail(`${method} ${path}`, `HTTP ${resp.status} (expected ${expected}): ${await resp.text()}`);
  return resp.json();
}

const reviseContent = (content, feedback) => `${content}\n\nRevised after feedback: ${feedback}`;

let content = "Release notes draft.\n\n- Faster sync\n- New inbox";
let iterationOf;
let firstId;
let msg;
let round = 0;

while (true) {
  round += 1;
  if (round > MAX_ROUNDS) fail("loop", `no approval after ${MAX_ROUNDS} rounds`);
  const body = {
    channelId: channel,
    text: content,
    metadata: { generatedAt: Date.now() },
    review: {
      type: "approval",
      payload: {
        options: [
          { id: "approve", label: "Approve" },
          { id: "reject", label: "Reject" },
        ],
      },
    },
  };
  if (iterationOf) body.iterationOf = iterationOf;

  msg = await call("POST", "/api/v1/messages", 201, body);
  firstId ??= msg.id;
  if (iterationOf && (msg.iteration !== round || msg.iterationGroupId !== firstId)) {
    fail(
      "POST /api/v1/messages with iterationOf",
      `expected iteration ${round} of group ${firstId}, got iteration=${msg.iteration} iterationGroupId=${msg.iterationGroupId}`,
    );
  }
  console.log(`Round ${round}: sent ${msg.id}`);

  let result;
  do {
    result = await call("GET", `/api/v1/reviews/${msg.id}/wait?channel=${channel}&timeout=${pollTimeout}`, 200);
    if (result.status === "timeout") console.log(`Round ${round}: still waiting...`);
  } while (result.status === "timeout");
  if (result.status !== "completed") fail("wait", `round ${round} ended as ${result.status}`);

  // Placet delivers the answer as-is: the agent decides what it means.
  const response = result.message?.review?.response;
  if (response?.selectedOption === "reject") {
    const feedback = result.message?.review?.feedback ?? "";
    if (!feedback) fail("wait result", `round ${round} was rejected without feedback in message.review: ${JSON.stringify(result.message?.review)}`);
    console.log(`Round ${round}: rejected, feedback: ${feedback}`);
    content = reviseContent(content, feedback);
    iterationOf = msg.id;
    continue;
  }
  console.log(`Round ${round}: ${response?.selectedOption}`);
  break;
}

// The whole chain, from any of its messages (here the last one).
const chain = await call("GET", `/api/v1/messages/iterations/${msg.id}?channel=${channel}`, 200);
if (typeof chain !== "object" || !("groupId" in chain) || !Array.isArray(chain.iterations)) {
  fail("GET /api/v1/messages/iterations/:id", `expected {groupId, iterations}, got ${JSON.stringify(chain)}`);
}
console.log(
  JSON.stringify({
    groupId: chain.groupId,
    iterations: chain.iterations.map((m) => ({
      id: m.id,
      iteration: m.iteration,
      iterationGroupId: m.iterationGroupId,
      status: m.review.status,
      selectedOption: m.review.response?.selectedOption ?? null,
      feedback: m.review.feedback ?? null,
      text: m.text,
    })),
  }),
);
