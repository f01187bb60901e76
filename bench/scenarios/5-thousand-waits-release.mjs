// 5. 1,000 parked waits on one review, released by one answer: timed from the answer's request sent,
// because its own response is sent after the releases and is no fixed point here.
import { approval, cpuSeconds, now, round, sleep, stats } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";

const N = 1000;

export default {
  id: "5",
  title: "1,000 parked waits on one review, released by one answer",
  needs: ["app", "floor"],
  async run({ nod, app, floor, record }) {
    const { workerdPids, proxyPid } = app;
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
    while (calm < 3 && now() - tStart < 25_000) {
      await sleep(200);
      calm = (await probe()) < quick && now() - tStart > 1500 ? calm + 1 : 0;
    }
    const parkMs = now() - tStart;
    if (returned) throw new Error(`${returned} waits returned before the answer`);
    const cpu0 = cpuSeconds(workerdPids);
    const proxy0 = proxyPid ? cpuSeconds([proxyPid]) : 0;
    const ans = await nod.answer(msg.id);
    const done = await Promise.all(waits);
    const releaseCpuMs = (cpuSeconds(workerdPids) - cpu0) * 1000;
    const releaseProxyCpuMs = ((proxyPid ? cpuSeconds([proxyPid]) : 0) - proxy0) * 1000;
    const completed = done.filter((r) => r.status === 200 && r.json?.status === "completed" && r.json.message?.id === msg.id).length;
    const fromSent = done.map((r) => r.at - ans.sentAt);
    const fromResponse = done.map((r) => r.at - ans.doneAt);
    const s = stats(fromSent);
    record({
      id: "5",
      name: "1,000 parked waits released by one answer (from the answer sent)",
      result: `${completed}/${N} completed; first back after ${fmtMs(s.min)}, the answer's own response after ${fmtMs(ans.doneAt - ans.sentAt)}; workerd CPU ${(releaseCpuMs / N).toFixed(2)} ms per released wait (${fmtMs(releaseCpuMs)} in all, ${fmtMs(releaseProxyCpuMs)} of it in the dev proxy)`,
      stats: s,
      baseline: { name: "floor", p50: floor.p50 },
      ratio: s.p50 / floor.p50,
      target: "all within 250 ms",
      met: completed === N && s.max <= 250,
      extra: {
        answerRoundTrip: Number((ans.doneAt - ans.sentAt).toFixed(2)),
        fromAnswerResponse: round(stats(fromResponse)),
        workerdCpuMsDuringRelease: Math.round(releaseCpuMs),
        workerdCpuMsPerReleasedWait: Number((releaseCpuMs / N).toFixed(3)),
        devProxyCpuMsDuringRelease: Math.round(releaseProxyCpuMs),
        parkedAfterMs: Math.round(parkMs),
        idleProbeP50: Number(stats(idle).p50.toFixed(2)),
      },
    });
    return `${completed}/${N} completed; ${fmtStats(s)} from the answer sent; the answer took ${fmtMs(ans.doneAt - ans.sentAt)} (parked in ${(parkMs / 1000).toFixed(1)} s)`;
  },
};
