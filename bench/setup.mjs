// What the scenarios stand on: the app started as `wrangler dev` does, its owner and warm-up, and the
// baselines (measured in the same run, because the machine is shared and noisy).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { approval, closedLoop, connect, findWorkerd, getOk, listenerPid, Nod, now, ownStartTicks, round, sleep, stats } from "./lib.mjs";
import { fmtStats } from "./report.mjs";

const START_TIMEOUT_MS = 120_000;

/**
 * What the bench runs instead of wrangler.toml's main (worker/index.ts): the same Worker and Durable Objects,
 * with each request's D1 round trips counted in the `x-nod-d1-round-trips` header and a settable delay per
 * round trip (`/api/__test/d1-delay`, 0 unless a scenario sets it). Never deployed.
 */
const DEV_ENTRY = "test/d1-limits/dev-entry.ts";

/**
 * Starts the app on a free port of 127.0.0.1 with a fresh migrated database, creates the owner, warms
 * every path up, and finds its workerd processes. `root` is the checkout; the cwd must be it.
 * Returns `{ url, nod, assetsDir, samplePayload, startTicks, workerdPids, proxyPid, runtimePid }`.
 */
export async function startApp({ root, onCleanup, log, elapsed }) {
  // Nothing leaves the machine: no metrics, no Request.cf download, no update check.
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_HIDE_BANNER = "true";
  process.env.WRANGLER_CI_DISABLE_CONFIG_WATCHING = "true";
  process.env.NO_PROXY = "127.0.0.1,localhost";
  process.env.no_proxy = "127.0.0.1,localhost";
  const { unstable_startWorker } = await import("wrangler");
  const startTicks = ownStartTicks();

  // The server runs from a private copy of the Worker, its config and the SPA: wrangler's dev bundler
  // watches the sources and the assets even with watch: false, and an edit or a rebuild in the shared
  // checkout would otherwise reload workerd mid-run (dropping parked waits and sockets).
  const work = mkdtempSync(join(tmpdir(), "nod-bench-"));
  const app = join(work, "app");
  const persist = join(work, "state");
  onCleanup(() => {
    try {
      unlinkSync(join(app, "node_modules")); // the link only, never what it points to
    } catch {}
    rmSync(work, { recursive: true, force: true });
  });
  mkdirSync(app);
  for (const file of ["wrangler.toml", "package.json", "tsconfig.json"]) if (existsSync(file)) cpSync(file, join(app, file));
  // contract/ holds the types and schemas the Worker shares with the web app and the client.
  for (const dir of ["worker", "contract", "migrations"]) if (existsSync(dir)) cpSync(dir, join(app, dir), { recursive: true });
  // The entry the bench runs: the real Worker, its D1 round trips counted per request and, on demand, delayed (test/d1-limits).
  cpSync(join("test", "d1-limits"), join(app, "test", "d1-limits"), { recursive: true });
  const assetsDir = join(app, "web", "dist");
  cpSync("web/dist", assetsDir, { recursive: true });
  symlinkSync(join(root, "node_modules"), join(app, "node_modules"), "dir");
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    cwd: app,
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
  });
  const worker = await unstable_startWorker({
    config: join(app, "wrangler.toml"),
    entrypoint: join(app, DEV_ENTRY),
    // unstable_startWorker bundles without Node.js compatibility unless told (wrangler.toml's nodejs_compat
    // reaches only the runtime): the entry's node:async_hooks import then drew a warning at every start.
    build: { nodejsCompatMode: "v2" },
    bindings: { ALLOW_LOOPBACK_WEBHOOKS: { type: "plain_text", value: "true" } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist, watch: false, logLevel: "warn" },
  });
  onCleanup(() => worker.dispose());
  // A Worker that does not build leaves `ready` pending (wrangler prints the error): fail rather than wait for the watchdog.
  let timer;
  const stalled = new Promise(
    (_, reject) =>
      (timer = setTimeout(
        () => reject(new Error(`the app did not start within ${START_TIMEOUT_MS / 1000} s (see wrangler's errors above)`)),
        START_TIMEOUT_MS,
      )),
  );
  await Promise.race([worker.ready, stalled]).finally(() => clearTimeout(timer));
  const url = (await worker.url).toString().replace(/\/$/, "");
  if (new URL(url).hostname !== "127.0.0.1") throw new Error(`the app is not on 127.0.0.1: ${url}`);
  log(`app ready at ${url} in ${elapsed()} s`);

  // -- the owner, as the first visit does --
  const setup = await fetch(`${url}/api/auth/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "bench@example.com", password: "a long bench password", displayName: "Bench" }),
  });
  if (setup.status !== 201) throw new Error(`owner setup failed: ${setup.status} ${await setup.text()}`);
  const cookie = setup.headers.get("set-cookie")?.match(/access_token=[^;]+/)?.[0];
  if (!cookie) throw new Error("no session cookie from setup");
  const nod = new Nod(url, cookie);

  // -- warm-up: every path once, so no scenario pays for first-use compilation --
  const warm = await nod.newAgent("Warm-up");
  let samplePayload;
  for (let i = 0; i < 5; i++) {
    const msg = await nod.post(warm, { text: `warm-up ${i}`, review: approval });
    const w = nod.wait(warm, msg.id);
    await sleep(30);
    await nod.answer(msg);
    samplePayload = (await w).json.message;
  }
  for (let i = 0; i < 30; i++) await (await fetch(`${url}/api/docs`)).arrayBuffer();

  // -- its workerd processes: wrangler's dev proxy (it owns the app's port) and the runtime behind it --
  const workerdPids = findWorkerd(startTicks);
  const proxyPid = listenerPid(Number(new URL(url).port), workerdPids);
  const runtimePid = workerdPids.find((pid) => pid !== proxyPid);
  if (!runtimePid) throw new Error(`the app's workerd processes were not found (${workerdPids.join(", ")})`);
  log(`workerd: runtime pid ${runtimePid}, wrangler's dev proxy pid ${proxyPid ?? "none"}`);
  return { url, nod, assetsDir, samplePayload, startTicks, workerdPids, proxyPid, runtimePid };
}

/** `n` sequential GETs of `target`, each timed until its body has arrived. */
async function roundTrips(target, n) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    const res = await fetch(target);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${target}: ${res.status}`);
    xs.push(now() - t0);
  }
  return stats(xs);
}

/**
 * The floor: the runtime's own round trip (a static page) and one with a D1 read, one at a time and
 * under 32 concurrent clients. Reports them into `baselines`; returns the floor's stats and a summary.
 */
export async function measureFloor(app, baselines) {
  const { url } = app;
  const floor = await roundTrips(`${url}/api/docs`, 300);
  const floorD1 = await roundTrips(`${url}/api/auth/setup`, 200);
  const floorThroughput = await closedLoop(app, 32, 3000, getOk(`${url}/api/docs`));
  const d1Throughput = await closedLoop(app, 32, 3000, getOk(`${url}/api/auth/setup`));
  baselines.floor = { route: "GET /api/docs", ...round(floor, 3) };
  baselines.floorWithD1Read = { route: "GET /api/auth/setup (one D1 read)", ...round(floorD1, 3) };
  const cpuOf = (run) => ({
    workerdCpuMsPerRequest: Number(run.workerdCpuMsPerRequest.toFixed(2)),
    ofWhichDevProxy: Number(run.devProxyCpuMsPerRequest.toFixed(2)),
    workerdCores: Number(run.workerdCores.toFixed(2)),
  });
  baselines.floorThroughput = {
    route: "GET /api/docs, 32 concurrent clients, 3 s",
    perSecond: Math.round(floorThroughput.perSecond),
    ...round(floorThroughput.latency, 3),
    ...cpuOf(floorThroughput),
  };
  baselines.d1ReadThroughput = {
    route: "GET /api/auth/setup, 32 concurrent clients, 3 s",
    perSecond: Math.round(d1Throughput.perSecond),
    ...round(d1Throughput.latency, 3),
    ...cpuOf(d1Throughput),
  };
  const summary = `floor ${fmtStats(floor)}; with a D1 read ${fmtStats(floorD1)}; 32 clients: ${Math.round(floorThroughput.perSecond)} req/s (workerd ${floorThroughput.workerdCpuMsPerRequest.toFixed(2)} ms CPU each), with a D1 read ${Math.round(d1Throughput.perSecond)} req/s (${d1Throughput.workerdCpuMsPerRequest.toFixed(2)} ms CPU each)`;
  return { floor, summary };
}

/**
 * The reference Socket.IO push, request sent → event, over websocket and polling, on `ref` (the official
 * server in this process). Reports them into `baselines`; returns the stats per transport and a summary.
 */
export async function measureReferencePush(ref, baselines, onCleanup) {
  const refPush = {};
  for (const transport of ["websocket", "polling"]) {
    const c = connect(ref.url, {}, [transport]);
    onCleanup(() => c.close());
    await c.connected();
    await c.subscribe("bench");
    const xs = [];
    for (let i = -10; i < 100; i++) {
      const id = `ref-${transport}-${i}`;
      const t0 = now();
      const res = await fetch(`${ref.url}/emit?room=bench&event=review:responded&id=${id}`);
      await res.arrayBuffer();
      const ev = await c.waitFor("review:responded", (m) => m?.id === id);
      if (i >= 0) xs.push(ev.at - t0);
      await sleep(transport === "polling" ? 25 : 5);
    }
    c.close();
    refPush[transport] = stats(xs);
    baselines[`referenceSocketIO_${transport}`] = { what: `request sent → event, ${transport}`, ...round(refPush[transport], 3) };
  }
  return { refPush, summary: `websocket ${fmtStats(refPush.websocket)}; polling ${fmtStats(refPush.polling)}` };
}

/** The designs issue 7 compares against, reported beside the figures but not run. */
export function reportAnchors(baselines) {
  baselines.anchorLongPoll = {
    what: "reported, not run: the database is re-read every 2 s while a long-poll waits",
    p50: 1000,
    max: 2000,
    note: "≈1 s average added wait",
  };
  baselines.anchorExpiry = { what: "reported, not run: reviews are expired by a once-a-minute job", p50: 30000, max: 60000, note: "up to 60 s late" };
}
