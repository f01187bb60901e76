// 2. answer → review:responded on a subscribed socket, over websocket (2a) and polling (2b): the time
// from the answer's HTTP response to the event, against the reference Socket.IO's push on the same transport.
import { approval, connect, round, sleep, stats } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";

const TRANSPORTS = [
  { row: "2a", transport: "websocket" },
  { row: "2b", transport: "polling" },
];

export default {
  id: "2",
  rows: ["2a", "2b"],
  title: "answer → review:responded on a socket (websocket, polling)",
  needs: ["app", "reference"],
  async run({ url, nod, refPush, record, onCleanup, wants }) {
    const parts = [];
    for (const { row, transport } of TRANSPORTS.filter((t) => wants(t.row))) {
      const agent = await nod.newAgent(`Bench socket ${transport}`);
      const c = connect(url, { apiKey: agent.apiKey }, [transport]);
      onCleanup(() => c.close());
      await c.connected();
      await c.subscribe(agent.channelId);
      const signed = [];
      const fromSent = [];
      const answerTrip = [];
      for (let i = -3; i < 50; i++) {
        const msg = await nod.post(agent, { text: `socket ${i}`, review: approval });
        await c.waitFor("message:created", (m) => m?.id === msg.id);
        await sleep(transport === "polling" ? 30 : 10); // the polling client has re-parked its GET
        const ans = await nod.answer(msg);
        const ev = await c.waitFor("review:responded", (m) => m?.id === msg.id);
        if (i < 0) continue; // warm-up
        signed.push(ev.at - ans.doneAt);
        fromSent.push(ev.at - ans.sentAt);
        answerTrip.push(ans.doneAt - ans.sentAt);
      }
      c.close();
      const s = stats(signed);
      const base = refPush[transport];
      const ratio = Math.max(0, s.p50) / base.p50;
      record({
        id: row,
        name: `answer → review:responded, ${transport}`,
        result: `n=${s.n}; answer's round trip p50 ${fmtMs(stats(answerTrip).p50)}, answer sent → event p50 ${fmtMs(stats(fromSent).p50)}`,
        stats: s,
        baseline: { name: `ref. Socket.IO ${transport}`, p50: base.p50 },
        ratio,
        target: "≤ 2× reference Socket.IO at p50",
        met: ratio <= 2,
        extra: { answerRoundTrip: round(stats(answerTrip)), answerSentToEvent: round(stats(fromSent)) },
      });
      parts.push(`${transport}: ${fmtStats(s)}, ${ratio.toFixed(2)}× ref; answer sent → event p50 ${fmtMs(stats(fromSent).p50)}`);
    }
    return parts.join("; ");
  },
};
