// 3. answer → signed webhook received by a local receiver: the time from the answer's HTTP response to
// the delivery's arrival, with every signature checked.
import { approval, receiver, round, signatureValid, sleep, stats } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";

/**
 * `n` reviews of `agent` (whose webhook is `hook`) answered one at a time, after 3 to warm up. Per review:
 * answer's response → webhook received (signed), answer sent → webhook, the answer's round trip and its D1
 * round trips (x-nod-d1-round-trips); and how many signatures were valid. `settleMs`: the wait after each
 * webhook for the delivery to record its outcome.
 */
export async function answerSendsWebhook(nod, agent, hook, n, settleMs = 20) {
  const signed = [];
  const fromSent = [];
  const answerTrip = [];
  const answerTrips = [];
  let valid = 0;
  for (let i = -3; i < n; i++) {
    const msg = await nod.post(agent, { text: `webhook ${i}`, review: approval });
    const ans = await nod.answer(msg);
    const hit = await hook.waitFor((b) => b.event === "review:responded" && b.message_id === msg.id);
    await sleep(settleMs); // the delivery records its outcome
    if (i < 0) continue;
    if (signatureValid(hit, agent.secret)) valid++;
    signed.push(hit.at - ans.doneAt);
    fromSent.push(hit.at - ans.sentAt);
    answerTrip.push(ans.doneAt - ans.sentAt);
    answerTrips.push(ans.trips);
  }
  return { signed, fromSent, answerTrip, answerTrips, valid };
}

export default {
  id: "3",
  title: "answer → signed webhook received by a local receiver",
  needs: ["app", "floor"],
  async run({ nod, floor, record, onCleanup }) {
    const hook = await receiver();
    onCleanup(() => hook.close());
    const agent = await nod.newAgent("Bench webhook", hook.url);
    const { signed, fromSent, answerTrip, valid } = await answerSendsWebhook(nod, agent, hook, 50);
    const s = stats(signed);
    const ratio = Math.max(0, s.p50) / floor.p50;
    record({
      id: "3",
      name: "answer → signed webhook received",
      result: `n=${s.n}, ${valid}/${s.n} signatures valid; answer's round trip p50 ${fmtMs(stats(answerTrip).p50)}, answer sent → webhook p50 ${fmtMs(stats(fromSent).p50)}`,
      stats: s,
      baseline: { name: "floor", p50: floor.p50 },
      ratio,
      target: "p50 ≤ 10 ms",
      met: s.p50 <= 10 && valid === s.n,
      extra: { answerRoundTrip: round(stats(answerTrip)), answerSentToWebhook: round(stats(fromSent)) },
    });
    return `${fmtStats(s)}; ${valid}/${s.n} signatures valid`;
  },
};
