const PLACET_URL = "http://localhost:3001";
const API_KEY = "hp_your-api-key";
const CHANNEL_ID = "your-agent-id";

const headers = {
  "x-api-key": API_KEY,
  "Content-Type": "application/json",
};

// Send a selection review
const msg = await fetch(`${PLACET_URL}/api/v1/messages`, {
  method: "POST",
  headers,
  body: JSON.stringify({
    channelId: CHANNEL_ID,
    text: "Which database migration should we run?",
    review: {
      type: "selection",
      payload: {
        mode: "single",
        items: [
          { id: "migrate-up", label: "Run pending migrations" },
          { id: "migrate-down", label: "Rollback last migration" },
          { id: "skip", label: "Skip — no changes needed" },
        ],
      },
    },
  }),
}).then((r) => r.json());

// Poll for the response
while (true) {
  const result = await fetch(`${PLACET_URL}/api/v1/reviews/${msg.id}/wait?channel=${CHANNEL_ID}&timeout=30000`, { headers: { "x-api-key": API_KEY } }).then(
    (r) => r.json(),
  );

  if (result.status === "completed") {
    console.log("Selected:", result.message.review.response.selectedIds);
    break;
  }
  if (result.status === "expired") {
    console.log("Review expired");
    break;
  }
}
