// 5. 1,000 parked waits on one review, released by one answer: timed from the answer's request sent,
// because its own response is sent after the releases and is no fixed point here. The baseline, measured
// just before in the same run, is the bare runtime: a Worker and a Durable Object holding 1,000 parked
// requests released at once with a body of the same size, nothing else (bench/baselines/wait-release);
// beside it, the same runtime handing them out in slices of 25 as Nod's room does (ChannelRoom.release).
import { join } from "node:path";
import { approval, bareWaitRelease, cpuSeconds, now, round, sleep, stats } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";

const N = 1000;
/** The targets: the last wait back within this multiple of the bare runtime's last, the first within FIRST_MS of the answer sent. */
const LAST_RATIO = 1.3;
const FIRST_MS = 50;
/** The room's RELEASE_SLICE (worker/room/ChannelRoom.ts), for the bare runtime's sliced release. */
const SLICE = 25;

export default {
  id: "5",
  title: "1,000 parked waits on one review, released by one answer",
  needs: ["app"],
  async run({ nod, app, baselines, record, log }) {
    const verbose = (line) => process.env.BENCH_VERBOSE && log(`        ${line}`);
    const { workerdPids, proxyPid } = app;
    // The bare runtime first, with the body the app's waits get (a completed review of the same shape).
    const sampleBody = JSON.stringify({ status: "completed", message: app.samplePayload });
    const bareRuns = await bareWaitRelease(N, sampleBody, app.startTicks, join("bench", "baselines", "wait-release"), SLICE);
    const bareRun = bareRuns.atOnce;
    const bare = stats(bareRun.fromSent);
    const bareSliced = stats(bareRuns.sliced.fromSent);
    baselines.bareWaitRelease1000 = {
      what: "bare Worker + Durable Object (wrangler dev, nothing else): 1,000 parked requests released at once, release sent → each body",
      ...round(bare, 3),
      releaseRoundTrip: Number(bareRun.releaseRoundTrip.toFixed(2)),
      workerdCpuMsPerReleasedWait: Number((bareRun.cpuMs / N).toFixed(3)),
      bodyBytes: sampleBody.length,
    };
    baselines.bareWaitRelease1000Sliced = {
      what: `the same, handed out ${SLICE} at a time with a turn of the event loop between`,
      ...round(bareSliced, 3),
      releaseRoundTrip: Number(bareRuns.sliced.releaseRoundTrip.toFixed(2)),
      workerdCpuMsPerReleasedWait: Number((bareRuns.sliced.cpuMs / N).toFixed(3)),
    };
    const agent = await nod.newAgent("Bench 1000 waits");
    const msg = await nod.post(agent, { text: "one review, a thousand waiters", review: approval });
    // The idle cost of an authenticated D1-backed request (API key, rate limiter, D1 read): the probe
    // below compares against it to see when the server has finished parking the waits.
    const probe = async () => {
      const t0 = now();
      const res = await nod.agent(agent.apiKey, "GET", `/api/v1/reviews/${msg.id}?channel=${agent.channelId}`);
      if (res.status !== 200) throw new Error(`probe: ${res.status}`);
      return now() - t0;
    };
    verbose(`bare runtime done: at once last ${fmtMs(bare.max)}, in slices last ${fmtMs(bareSliced.max)}`);
    const idle = [];
    for (let i = 0; i < 15; i++) idle.push(await probe());
    const quick = 2 * stats(idle).p50 + 2;
    let returned = 0;
    const tStart = now();
    const waits = Array.from({ length: N }, () =>
      nod.wait(agent, msg.id).then(
        (r) => {
          returned++;
          return r;
        },
        (err) => {
          returned++;
          return { status: 0, json: { error: String(err) }, at: now() };
        },
      ),
    );
    // Parked = the server has nothing left to do: a D1-backed request is as quick as when idle
    // (D1 serves requests in order, so the waits' reads are done), three times in a row.
    let calm = 0;
    // At most 20 s: a wait times out after 30 s (the API's cap), and on a loaded machine the first ones parked early.
    while (calm < 3 && now() - tStart < 20_000) {
      await sleep(200);
      calm = (await probe()) < quick && now() - tStart > 1500 ? calm + 1 : 0;
    }
    const parkMs = now() - tStart;
    verbose(`parked after ${fmtMs(parkMs)}; answering`);
    if (returned) throw new Error(`${returned} waits returned before the answer`);
    const cpu0 = cpuSeconds(workerdPids);
    const proxy0 = proxyPid ? cpuSeconds([proxyPid]) : 0;
    const ans = await nod.answer(msg);
    verbose(`answered in ${fmtMs(ans.doneAt - ans.sentAt)}`);
    const done = await Promise.all(waits);
    const releaseCpuMs = (cpuSeconds(workerdPids) - cpu0) * 1000;
    const releaseProxyCpuMs = ((proxyPid ? cpuSeconds([proxyPid]) : 0) - proxy0) * 1000;
    const completed = done.filter((r) => r.status === 200 && r.json?.status === "completed" && r.json.message?.id === msg.id).length;
    const outcomes = {};
    for (const r of done) {
      const key = r.status === 200 ? String(r.json?.status) : `HTTP ${r.status}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    const others = Object.entries(outcomes)
      .filter(([k]) => k !== "completed")
      .map(([k, v]) => `${v} ${k}`)
      .join(", ");
    const fromSent = done.map((r) => r.at - ans.sentAt);
    const fromResponse = done.map((r) => r.at - ans.doneAt);
    const s = stats(fromSent);
    const ratio = s.max / bare.max;
    record({
      id: "5",
      name: "1,000 parked waits released by one answer (from the answer sent)",
      result: `${completed}/${N} completed${others ? ` (${others})` : ""}; first back after ${fmtMs(s.min)}, last after ${fmtMs(s.max)} (bare runtime at once: first ${fmtMs(bare.min)}, last ${fmtMs(bare.max)}; in slices of ${SLICE}: first ${fmtMs(bareSliced.min)}, last ${fmtMs(bareSliced.max)}); the answer's own response after ${fmtMs(ans.doneAt - ans.sentAt)}; workerd CPU ${(releaseCpuMs / N).toFixed(2)} ms per released wait (${fmtMs(releaseCpuMs)} in all, ${fmtMs(releaseProxyCpuMs)} of it in the dev proxy; bare runtime ${(bareRun.cpuMs / N).toFixed(2)} ms)`,
      stats: s,
      baseline: { name: "bare Worker+DO, 1,000 released, last", p50: bare.max },
      ratio,
      ratioNote: "last back ÷ the bare runtime's last back",
      target: `last ≤ ${LAST_RATIO}× the bare runtime's last; first ≤ ${FIRST_MS} ms`,
      met: completed === N && ratio <= LAST_RATIO && s.min <= FIRST_MS,
      extra: {
        outcomes,
        firstBackMs: Number(s.min.toFixed(2)),
        lastBackMs: Number(s.max.toFixed(2)),
        bare: round(bare),
        bareSliced: round(bareSliced),
        lastVsBareSliced: Number((s.max / bareSliced.max).toFixed(3)),
        bareWorkerdCpuMsPerReleasedWait: Number((bareRun.cpuMs / N).toFixed(3)),
        answerRoundTrip: Number((ans.doneAt - ans.sentAt).toFixed(2)),
        fromAnswerResponse: round(stats(fromResponse)),
        workerdCpuMsDuringRelease: Math.round(releaseCpuMs),
        workerdCpuMsPerReleasedWait: Number((releaseCpuMs / N).toFixed(3)),
        devProxyCpuMsDuringRelease: Math.round(releaseProxyCpuMs),
        parkedAfterMs: Math.round(parkMs),
        idleProbeP50: Number(stats(idle).p50.toFixed(2)),
      },
    });
    return `${completed}/${N} completed${others ? ` (${others})` : ""}; first ${fmtMs(s.min)}, ${fmtStats(s)} from the answer sent (bare runtime at once: first ${fmtMs(bare.min)}, ${fmtStats(bare)}; last ${ratio.toFixed(2)}×; bare in slices: first ${fmtMs(bareSliced.min)}, max ${fmtMs(bareSliced.max)}); the answer took ${fmtMs(ans.doneAt - ans.sentAt)} (parked in ${(parkMs / 1000).toFixed(1)} s)`;
  },
};
