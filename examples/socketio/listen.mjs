// Follow a channel live with socket.io-client: subscribe, ask for an approval, and print the answer the
// moment the person gives it (the review:responded event), with no polling.
// Usage: NOD_URL=http://localhost:8787 NOD_API_KEY=hp_… NOD_CHANNEL=<agent id> node listen.mjs
import { io } from "socket.io-client";

const { NOD_URL, NOD_API_KEY, NOD_CHANNEL } = process.env;
if (!NOD_URL || !NOD_API_KEY || !NOD_CHANNEL) {
  console.error("Set NOD_URL, NOD_API_KEY and NOD_CHANNEL");
  process.exit(2);
}
const url = NOD_URL.replace(/\/+$/, "");
let asked; // the id of our question, once sent
const seen = new Map(); // answers and expiries by message id (one may arrive before we know our id)

const socket = io(`${url}/ws`, { auth: { apiKey: NOD_API_KEY }, transports: ["websocket"] });

function finish(code, line) {
  (code ? console.error : console.log)(line);
  socket.disconnect();
  process.exit(code);
}

function report() {
  const event = asked && seen.get(asked);
  if (!event) return;
  if (event.expired) finish(1, "The review expired without an answer");
  const { selectedOption, comment } = event.message.review.response;
  if (comment) console.log(`Comment: ${comment}`);
  finish(0, `Decision: ${selectedOption}`);
}

socket.on("connect_error", (err) => finish(1, `Could not connect: ${err.message}`));

socket.on("connect", async () => {
  // Subscribe (again after a reconnect), and wait for the server's ack before asking.
  const ack = await socket.timeout(10_000).emitWithAck("subscribe:channel", NOD_CHANNEL);
  if (!ack.ok) finish(1, `Channel ${NOD_CHANNEL} refused`);
  console.log(`Subscribed to ${NOD_CHANNEL}`);
  if (!asked) {
    asked = await ask();
    report();
  }
});

socket.on("review:responded", (message) => {
  seen.set(message.id, { message });
  report();
});

socket.on("review:expired", ({ messageId }) => {
  seen.set(messageId, { expired: true });
  report();
});

async function ask() {
  const res = await fetch(`${url}/api/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": NOD_API_KEY, "content-type": "application/json" },
    body: JSON.stringify({
      channelId: NOD_CHANNEL,
      text: "Roll back the failed canary?",
      review: {
        type: "approval",
        payload: {
          options: [
            { id: "rollback", label: "Roll back", style: "danger" },
            { id: "keep", label: "Keep it", style: "secondary" },
          ],
          allowComment: true,
        },
        expiresInSeconds: 3600,
      },
    }),
  });
  const message = await res.json();
  if (!res.ok) finish(1, `Nod answered ${res.status}: ${message.message}`);
  console.log(`Asked: ${message.id}`);
  return message.id;
}
