// 1-d20, 3-d20, 4a-d20: scenarios 1, 3 and 4a again, short, with production's distance to D1 put into every
// round trip: the bench's entry (test/d1-limits/round-trips.ts) waits NOD_D1_DELAY_MS (default 20) before each
// D1 call, the Worker's and the room's alike. Locally a round trip costs well under a millisecond, so the
// scenarios above hide how many a request makes; with the delay, each one it waits for adds the delay to its
// latency. Each row measures the same thing without the delay just before (same run, same channel), and says
// how many round trips' worth the delay added next to the count the entry's header gives. Issue 19's targets for
// 1 and 4a: the delay adds at most 1.3 round trips' worth at p50 (the path's floor is itself without the delay).
import { randomUUID } from "node:crypto";
import { closedLoop, countsOf, receiver, round, setD1Delay, stats, tripsOf } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";
import { answerReleasesWait } from "./1-long-poll-release.mjs";
import { answerSendsWebhook } from "./3-webhook-delivery.mjs";

const DELAY = Number(process.env.NOD_D1_DELAY_MS ?? 20);
if (!Number.isFinite(DELAY) || DELAY <= 0) throw new Error(`NOD_D1_DELAY_MS must be a number of milliseconds above 0, not ${process.env.NOD_D1_DELAY_MS}`);
const ROWS = [`1-d${DELAY}`, `3-d${DELAY}`, `4a-d${DELAY}`];
const N = 20;
const CLIENTS = 32;

/** `fn` with the delay on, whatever happens. */
async function delayed(url, fn) {
  await setD1Delay(url, DELAY);
  try {
    return await fn();
  } finally {
    await setD1Delay(url, 0);
  }
}

/** "+x ms = k round trips' worth" for a p50 with the delay against one without. */
const added = (far, near) => `+${fmtMs(far - near)} = ${((far - near) / DELAY).toFixed(1)} round trips' worth`;
const counted = (xs) => {
  const c = countsOf(xs);
  return c.typical === undefined ? "?" : c.min === c.max ? `${c.typical}` : `${c.typical} (${c.min}–${c.max})`;
};

async function longPoll({ url, nod, record }) {
  const id = ROWS[0];
  const agent = await nod.newAgent(`Bench long-poll, ${DELAY} ms to D1`);
  const near = await answerReleasesWait(nod, agent, N);
  // A wait parks without a round trip once its room knows the key and the review; the answer waits a little anyway.
  const far = await delayed(url, () => answerReleasesWait(nod, agent, N, 80 + 3 * DELAY));
  const s = stats(far.fromSent);
  const nearSent = stats(near.fromSent);
  const [farAnswer, nearAnswer] = [stats(far.answerTrip), stats(near.answerTrip)];
  record({
    id,
    name: `answer → parked long-poll returns, ${DELAY} ms per D1 round trip (answer sent → wait returned)`,
    result: `n=${N}; ${added(s.p50, nearSent.p50)}; the answer's round trip p50 ${fmtMs(farAnswer.p50)} (${added(farAnswer.p50, nearAnswer.p50)}); counted: answer ${counted(far.answerTrips)}, wait ${counted(far.waitTrips)}`,
    stats: s,
    baseline: { name: "no delay, just before", p50: nearSent.p50 },
    ratio: s.p50 / nearSent.p50,
    target: `p50 ≤ no delay + ${1.3 * DELAY} ms (1.3 round trips)`,
    met: s.p50 <= nearSent.p50 + 1.3 * DELAY,
    extra: {
      delayMs: DELAY,
      answerSentToWaitReturned: round(s),
      answerRoundTrip: round(farAnswer),
      withoutDelay: { answerSentToWaitReturned: round(nearSent), answerRoundTrip: round(nearAnswer) },
      countedRoundTrips: { answer: countsOf(far.answerTrips), wait: countsOf(far.waitTrips) },
    },
  });
  return `${id}: answer sent → wait ${fmtStats(s)} (no delay p50 ${fmtMs(nearSent.p50)})`;
}

async function webhook({ url, nod, record, onCleanup }) {
  const id = ROWS[1];
  const hook = await receiver();
  onCleanup(() => hook.close());
  const agent = await nod.newAgent(`Bench webhook, ${DELAY} ms to D1`, hook.url);
  const near = await answerSendsWebhook(nod, agent, hook, N);
  const far = await delayed(url, () => answerSendsWebhook(nod, agent, hook, N, 20 + 3 * DELAY));
  const s = stats(far.fromSent);
  const nearSent = stats(near.fromSent);
  const [farAnswer, nearAnswer] = [stats(far.answerTrip), stats(near.answerTrip)];
  record({
    id,
    name: `answer → signed webhook received, ${DELAY} ms per D1 round trip (answer sent → webhook)`,
    result: `n=${N}, ${far.valid}/${N} signatures valid; ${added(s.p50, nearSent.p50)}; the answer's round trip p50 ${fmtMs(farAnswer.p50)} (${added(farAnswer.p50, nearAnswer.p50)}); counted: answer ${counted(far.answerTrips)}`,
    stats: s,
    baseline: { name: "no delay, just before", p50: nearSent.p50 },
    ratio: s.p50 / nearSent.p50,
    target: "report",
    extra: {
      delayMs: DELAY,
      answerSentToWebhook: round(s),
      answerRoundTrip: round(farAnswer),
      withoutDelay: { answerSentToWebhook: round(nearSent), answerRoundTrip: round(nearAnswer) },
      countedRoundTrips: { answer: countsOf(far.answerTrips) },
      signaturesValid: far.valid,
    },
  });
  return `${id}: answer sent → webhook ${fmtStats(s)} (no delay p50 ${fmtMs(nearSent.p50)})`;
}

async function posts({ url, nod, app, record }) {
  const id = ROWS[2];
  const agent = await nod.newAgent(`Bench load, ${DELAY} ms to D1`);
  // As 4a: a key per client (one key is rate limited to 100 requests/s), every key and the room warm.
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) clients.push({ channelId: agent.channelId, apiKey: await nod.newKey([agent.channelId], `bench d1-distance client ${i}`) });
  for (const c of clients) await nod.post(c, { text: "first" });
  const one = async (n) => {
    const times = [];
    const trips = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const res = await nod.agent(clients[0].apiKey, "POST", "/api/v1/messages", { channelId: agent.channelId, clientId: randomUUID(), text: `one ${i}` });
      if (res.status !== 201) throw new Error(`POST /api/v1/messages: ${res.status} ${JSON.stringify(res.json)}`);
      times.push(performance.now() - t0);
      trips.push(tripsOf(res.headers));
    }
    return { latency: stats(times), trips };
  };
  const near = await one(N);
  const { far, load } = await delayed(url, async () => {
    const far = await one(N);
    let n = 0;
    const load = await closedLoop(app, CLIENTS, 3000, async (i) => {
      const c = clients[i];
      const res = await nod.agent(c.apiKey, "POST", "/api/v1/messages", { channelId: c.channelId, text: `load ${n++}` });
      return res.status === 201;
    });
    return { far, load };
  });
  record({
    id,
    name: `POST /api/v1/messages, 32 clients, 1 channel, ${DELAY} ms per D1 round trip`,
    result: `${Math.round(load.perSecond)} msg/s${load.errors ? `, ${load.errors} errors` : ""} (3 s); one POST at a time p50 ${fmtMs(far.latency.p50)} (${added(far.latency.p50, near.latency.p50)}); counted: ${counted(far.trips)}`,
    stats: load.latency,
    baseline: { name: "one POST at a time, no delay, just before", value: `p50 ${fmtMs(near.latency.p50)}` },
    target: `one POST at a time: p50 ≤ no delay + ${1.3 * DELAY} ms (1.3 round trips)`,
    met: far.latency.p50 <= near.latency.p50 + 1.3 * DELAY,
    extra: {
      delayMs: DELAY,
      messages: load.ok,
      errors: load.errors,
      perSecond: Number(load.perSecond.toFixed(1)),
      onePostAtATime: round(far.latency),
      withoutDelay: { onePostAtATime: round(near.latency) },
      countedRoundTrips: countsOf(far.trips),
    },
  });
  return `${id}: ${Math.round(load.perSecond)} msg/s, ${fmtStats(load.latency)}; one POST at a time p50 ${fmtMs(far.latency.p50)} (no delay ${fmtMs(near.latency.p50)})`;
}

export default {
  id: `d${DELAY}`,
  rows: ROWS,
  title: `scenarios 1, 3 and 4a, short, with ${DELAY} ms added to every D1 round trip (NOD_D1_DELAY_MS)`,
  needs: ["app"],
  async run(ctx) {
    const parts = [];
    for (const [row, fn] of [
      [ROWS[0], longPoll],
      [ROWS[1], webhook],
      [ROWS[2], posts],
    ]) {
      if (ctx.wants(row)) parts.push(await fn(ctx));
    }
    return parts.join("; ");
  },
};
