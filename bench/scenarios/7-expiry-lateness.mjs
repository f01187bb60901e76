// 7. Expiry lateness: 100 reviews with expiries staggered over 1–10 s, each watched by a parked wait (7a)
// and by review:expired on a subscribed socket (7b); lateness is measured against the review's own
// expiresAt, on the wall clock.
import { approval, connect, epochNow, stats } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";

const N = 100;

export default {
  id: "7",
  rows: ["7a", "7b"],
  title: "expiry lateness, 100 reviews with staggered 1–10 s expiries",
  needs: ["app"],
  async run({ url, nod, record, onCleanup }) {
    const agent = await nod.newAgent("Bench expiry");
    const c = connect(url, { apiKey: agent.apiKey }, ["websocket"]);
    onCleanup(() => c.close());
    await c.connected();
    await c.subscribe(agent.channelId);
    const posted = [];
    const waits = [];
    for (let i = 0; i < N; i++) {
      const expiresAt = new Date(epochNow() + 1000 + Math.round((i * 9000) / (N - 1))).toISOString();
      const msg = await nod.post(agent, { text: `expires ${i}`, review: { ...approval, expiresAt } });
      const due = Date.parse(msg.review.expiresAt);
      posted.push({ id: msg.id, due });
      waits.push(nod.wait(agent, msg.id).then((r) => ({ ...r, due, id: msg.id })));
    }
    const done = await Promise.all(waits);
    const expired = done.filter((r) => r.status === 200 && r.json?.status === "expired").length;
    const waitLate = done.map((r) => r.epochAt - r.due);
    const events = await Promise.allSettled(
      posted.map((p) => c.waitFor("review:expired", (d) => d?.messageId === p.id, 15_000).then((e) => e.epochAt - p.due)),
    );
    const sockLate = events.filter((e) => e.status === "fulfilled").map((e) => e.value);
    c.close();
    const parts = [];
    for (const [id, name, xs, count] of [
      ["7a", "expiry lateness, parked waits", waitLate, expired],
      ["7b", "expiry lateness, review:expired on a socket", sockLate, sockLate.length],
    ]) {
      const s = stats(xs);
      const early = xs.filter((x) => x < 0).length;
      record({
        id,
        name,
        result: `${count}/${N} expired, ${early} early`,
        stats: s,
        baseline: { name: "anchor: once-a-minute job (not run)", p50: 30000 },
        ratio: s.p50 / 30000,
        target: "p99 ≤ 500 ms late, none early",
        met: count === N && s.p99 <= 500 && early === 0,
        extra: { min: Number(s.min.toFixed(2)), early },
      });
      parts.push(`${id}: ${fmtStats(s)}, min ${fmtMs(s.min)}, ${early} early`);
    }
    return parts.join("; ");
  },
};
