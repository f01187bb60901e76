// 6. 1,000 sockets on one channel receive one message (6a); workerd memory per 1,000 idle sockets (6b).
// Both rows come from the same 1,000 sockets. It runs first, on a fresh runtime: the memory reading is
// RSS, and the later scenarios (1,000 parked waits, the load test) leave a heap high-water mark that new
// sockets would quietly reuse.
import { bareWebSocketMemory, connect, findWorkerd, now, round, rssBytes, sleep, stats } from "../lib.mjs";
import { fmtMs, fmtStats } from "../report.mjs";

const N = 1000;
const BATCH = 100;
const SETTLE = 2000; // ms idle before each memory reading
/**
 * Sockets opened before the first reading and kept, in the app as in the bare runtime: the first ones create
 * the 4 shards and compile the gateway's code, a one-off cost that is not per socket. The app's follow
 * another agent's channel, so the fan-out (6a) still goes to the N.
 */
const WARM = 20;
const BARE_DIR = "bench/baselines/socket-memory";

export default {
  id: "6",
  rows: ["6a", "6b"],
  title: "1,000 sockets on one channel receive one message; workerd memory per 1,000 idle sockets",
  needs: ["app", "reference"],
  async run({ url, nod, app, ref, baselines, record, onCleanup, log }) {
    const { workerdPids, runtimePid, proxyPid, startTicks } = app;
    const agent = await nod.newAgent("Bench fan-out");
    const pids = findWorkerd(startTicks);
    if (pids.join() !== workerdPids.join()) throw new Error(`workerd restarted: its processes are now ${pids.join(", ")}, were ${workerdPids.join(", ")}`);
    const warmAgent = await nod.newAgent("Bench fan-out warm-up");
    const warm = Array.from({ length: WARM }, () => connect(url, { apiKey: warmAgent.apiKey }, ["websocket"]));
    onCleanup(() => {
      for (const c of warm) c.close();
    });
    const warmPinged = warm.map((c) => c.pinged(60_000));
    for (const c of warm) {
      await c.connected(60_000);
      await c.subscribe(warmAgent.channelId, 60_000);
    }
    // A shard pings all its sockets at its first alarm (the first handshake's CONNECT deadline, 20 s on),
    // then every 25 s, and the pongs cost heap. Reading after the warm sockets' first ping puts both
    // readings between two heartbeats, as the bare runtime's (which has none) are; else, on a slow run,
    // the first ping fell before the second reading only.
    await Promise.all(warmPinged);
    await sleep(SETTLE);
    const rssBefore = { runtime: rssBytes([runtimePid]), proxy: proxyPid ? rssBytes([proxyPid]) : 0 };
    const tOpen = now();
    const clients = [];
    let pingsBeforeReading = 0;
    for (let i = 0; i < N; i += BATCH) {
      const tb = now();
      const batch = Array.from({ length: Math.min(BATCH, N - i) }, () => connect(url, { apiKey: agent.apiKey }, ["websocket"]));
      clients.push(...batch);
      for (const c of batch)
        c.pinged().then(
          () => pingsBeforeReading++,
          () => {},
        );
      const opened = await Promise.allSettled(batch.map((c) => c.connected(60_000)));
      const failed = opened.filter((o) => o.status === "rejected");
      if (failed.length)
        throw new Error(
          `${failed.length}/${batch.length} sockets of batch ${i / BATCH + 1} did not connect within ${((now() - tb) / 1000).toFixed(0)} s: ${failed[0].reason?.message}`,
        );
      await Promise.all(batch.map((c) => c.subscribe(agent.channelId, 60_000)));
      if (process.env.BENCH_VERBOSE) log(`        batch ${i / BATCH + 1}: ${(now() - tb).toFixed(0)} ms`);
    }
    onCleanup(() => {
      for (const c of clients) c.close();
    });
    const openMs = now() - tOpen;
    await sleep(SETTLE); // idle
    const rssAfter = { runtime: rssBytes([runtimePid]), proxy: proxyPid ? rssBytes([proxyPid]) : 0 };
    const heartbeatInWindow = pingsBeforeReading; // read now: pings after the reading do not matter
    const perThousand = (after, before) => ((after - before) / 1e6) * (1000 / N);
    const growthMB = perThousand(rssAfter.runtime, rssBefore.runtime);
    const proxyGrowthMB = perThousand(rssAfter.proxy, rssBefore.proxy);

    const tSent = now();
    const res = await nod.agent(agent.apiKey, "POST", "/api/v1/messages", { channelId: agent.channelId, text: "to everyone" });
    const tPosted = now();
    if (res.status !== 201) throw new Error(`post: ${res.status}`);
    const arrivals = await Promise.allSettled(clients.map((c) => c.waitFor("message:created", (m) => m?.id === res.json.id, 30_000)));
    const got = arrivals.filter((a) => a.status === "fulfilled").map((a) => a.value.at);
    const signed = got.map((at) => at - tPosted);
    const fromSent = got.map((at) => at - tSent);
    for (const c of [...warm, ...clients]) c.close();

    // The reference: the same 1,000 sockets on the official server, one emit.
    const refClients = [];
    for (let i = 0; i < N; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, N - i) }, () => connect(ref.url, {}, ["websocket"]));
      refClients.push(...batch);
      await Promise.all(batch.map((c) => c.connected(60_000)));
      await Promise.all(batch.map((c) => c.subscribe("fan", 60_000)));
    }
    onCleanup(() => {
      for (const c of refClients) c.close();
    });
    await sleep(500);
    const rSent = now();
    await (await fetch(`${ref.url}/emit?room=fan&event=message:created&id=fan-1`)).arrayBuffer();
    const refArrivals = await Promise.all(refClients.map((c) => c.waitFor("message:created", (m) => m?.id === "fan-1", 30_000)));
    const refFanout = stats(refArrivals.map((e) => e.at - rSent));
    for (const c of refClients) c.close();
    baselines.referenceSocketIO_fanout1000 = { what: "request sent → each of 1,000 websocket clients", ...round(refFanout, 3) };

    // The memory floor: the same number of idle WebSockets in a bare workerd (Durable Objects with the
    // hibernation API behind the same static-assets router, nothing else), warmed and measured the same way.
    const bare = await bareWebSocketMemory(N, WARM, SETTLE, startTicks, BARE_DIR);
    const bareMB = perThousand(bare.rssAfter, bare.rssBefore);
    baselines.bareWorkerdWebSocketMemory = {
      what: "RSS growth of a bare workerd (started with wrangler as the app is, static assets in front; a Worker handing each WebSocket to one of 4 Durable Objects that accept it with the hibernation API) per 1,000 idle WebSockets",
      mbPerThousand: Number(bareMB.toFixed(1)),
    };

    const s = stats(fromSent);
    record({
      id: "6a",
      name: "1,000 sockets on one channel receive one message (from the POST sent)",
      result: `${got.length}/${N} received; the POST's round trip ${fmtMs(tPosted - tSent)}; ref. Socket.IO last ${fmtMs(refFanout.max)}`,
      stats: s,
      baseline: { name: "ref. Socket.IO, 1,000 sockets", p50: refFanout.p50 },
      ratio: s.p50 / refFanout.p50,
      target: "all within 500 ms",
      met: got.length === N && s.max <= 500,
      extra: {
        fromPostResponse: round(stats(signed)),
        postRoundTrip: Number((tPosted - tSent).toFixed(2)),
        reference: round(refFanout),
        openAndSubscribeMs: Math.round(openMs),
      },
    });
    record({
      id: "6b",
      name: "workerd memory growth per 1,000 idle sockets (the runtime process)",
      result: `+${growthMB.toFixed(0)} MB; beyond the bare runtime's own: ${(growthMB - bareMB).toFixed(0)} MB; wrangler's dev proxy (not in production) +${proxyGrowthMB.toFixed(0)} MB${heartbeatInWindow ? `; ${heartbeatInWindow} sockets were pinged before the reading (a slow run: the heartbeat's cost is in it)` : ""}`,
      stats: undefined,
      baseline: { name: "bare workerd (same shape), 1,000 idle WebSockets", value: `+${bareMB.toFixed(0)} MB` },
      ratio: growthMB / bareMB,
      ratioNote: "growth ÷ bare workerd's growth",
      target: "Nod's own ≤ 10 % of the bare runtime's (issue 19)",
      met: growthMB <= bareMB * 1.1,
      extra: {
        runtimePid,
        devProxyPid: proxyPid ?? null,
        runtimeRssBeforeMB: Number((rssBefore.runtime / 1e6).toFixed(1)),
        runtimeRssAfterMB: Number((rssAfter.runtime / 1e6).toFixed(1)),
        devProxyGrowthMB: Number(proxyGrowthMB.toFixed(1)),
        bareWorkerdGrowthMB: Number(bareMB.toFixed(1)),
        sockets: N,
        warmSockets: WARM,
        settleMs: SETTLE,
        pingedBeforeReading: heartbeatInWindow,
      },
    });
    return `${got.length}/${N} received, ${fmtStats(s)} from the POST sent (ref. ${fmtStats(refFanout)}); runtime RSS +${growthMB.toFixed(0)} MB per 1,000 (bare workerd +${bareMB.toFixed(0)} MB, dev proxy +${proxyGrowthMB.toFixed(0)} MB)`;
  },
};
