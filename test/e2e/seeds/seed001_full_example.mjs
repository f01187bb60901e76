import { io } from "socket.io-client";

const PLACET_URL = "https://your-placet-instance.com";
const API_KEY = "hp_your-api-key";
const CHANNEL_ID = "your-agent-id";

// 1. Connect via WebSocket
const socket = io(`${PLACET_URL}/ws`, {
  auth: { apiKey: API_KEY },
  transports: ["websocket"],
});

socket.on("connect", () => {
  console.log("Connected to Placet");
  socket.emit("subscribe:channel", CHANNEL_ID);

  // 2. Send a deployment approval request
  sendApproval();
});

// 3. Listen for the review response
socket.on("review:responded", (data) => {
  const { selectedOption, comment } = data.review.response;
  console.log(`Decision: ${selectedOption}`);
  if (comment) console.log(`Comment: ${comment}`);

  if (selectedOption === "approve") {
    console.log("Deploying...");
    // Trigger deployment
  } else {
    console.log("Deployment cancelled");
  }
});

socket.on("review:expired", (data) => {
  console.log(`Review ${data.messageId} expired — no response received`);
});

async function sendApproval() {
  const res = await fetch(`${PLACET_URL}/api/v1/messages`, {
    method: "POST",
    headers: {
      "x-api-key": API_KEY,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      channelId: CHANNEL_ID,
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
      },
    }),
  });
  const message = await res.json();
  console.log(`Approval sent: ${message.id}`);
}
