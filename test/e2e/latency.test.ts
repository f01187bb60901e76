// The long-poll returns the moment the review is answered (docs/api.md: nothing polls). A parked
// GET /api/v1/reviews/:id/wait must come back with the answer well within a second of the person's
// answer being accepted; a 2 s DB-polling loop or sleeping to the 30 s timeout would not.
import { describe, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { sleep } from "../common";

const REPS = 20;
/** Nearest-rank percentile of an ascending, non-empty list. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

describe("long-poll latency", () => {
  it("a parked wait returns the answer as soon as the person answers", async () => {
    const { channelId, apiKey } = await newAgent("Latency bot");
    const latencies: number[] = []; // answer's HTTP response -> wait's response (clamped at 0)
    const raw: number[] = []; // the same, signed: negative when the waiter was released first
    const roundTrips: number[] = []; // answer sent -> wait's response

    for (let i = 0; i < REPS; i++) {
      const sent = await fetch(`${nodUrl()}/api/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": apiKey, "content-type": "application/json" },
        body: JSON.stringify({
          channelId,
          text: `Latency probe ${i}`,
          review: {
            type: "approval",
            payload: {
              options: [
                { id: "go", label: "Go" },
                { id: "stop", label: "Stop" },
              ],
              allowComment: true,
            },
          },
        }),
      });
      const msg = await sent.json();
      expect(sent.status, JSON.stringify(msg)).toBe(201);

      let waitDoneAt: number | undefined;
      const wait = fetch(`${nodUrl()}/api/v1/reviews/${msg.id}/wait?channel=${channelId}&timeout=30000`, {
        headers: { "x-api-key": apiKey },
      }).then(async (res) => {
        const json = await res.json();
        waitDoneAt = performance.now();
        return { status: res.status, json };
      });

      await sleep(150); // let the wait reach the server and park
      expect(waitDoneAt, "the wait returned before anyone answered").toBeUndefined();

      const response = { selectedOption: i % 2 ? "go" : "stop", comment: `probe ${i}` };
      const answerSentAt = performance.now();
      const answer = await asOwner("POST", `/api/messages/${msg.id}/respond`, { response });
      const answeredAt = performance.now();
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);

      const waited = await wait;
      expect(waited.status).toBe(200);
      expect(waited.json.status).toBe("completed");
      expect(waited.json.message.id).toBe(msg.id);
      expect(waited.json.message.review.response).toEqual(response);
      // The server may release the waiter before it finishes answering the person: that counts as 0.
      raw.push(waitDoneAt! - answeredAt);
      latencies.push(Math.max(0, waitDoneAt! - answeredAt));
      roundTrips.push(waitDoneAt! - answerSentAt);
    }

    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]!, min: sorted[0]! };
    };
    const fmt = (s: ReturnType<typeof stats>) => `p50=${s.p50.toFixed(1)} ms p99=${s.p99.toFixed(1)} ms max=${s.max.toFixed(1)} ms`;
    const after = stats(latencies);
    console.log(`long-poll wake-up, answer response -> wait response, ${REPS} runs: ${fmt(after)}`);
    console.log(`  signed (negative = wait returned before the answer's response): ${fmt(stats(raw))} min=${stats(raw).min.toFixed(1)} ms`);
    console.log(`  answer request sent -> wait response: ${fmt(stats(roundTrips))}`);
    expect(after.p50).toBeLessThan(1000);
  });
});
