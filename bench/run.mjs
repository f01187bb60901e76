// `npm run bench`: starts the app as `wrangler dev` does (workerd, local D1/R2/Durable Objects, static
// assets) on a free port of 127.0.0.1 with a fresh migrated database, measures the baselines and the
// eight scenarios of issue 7 in the same run, then issue 19's D1 round trips per hot path (9) and scenarios
// 1, 3 and 4a again with a delay on every D1 round trip (1-d20, 3-d20, 4a-d20), prints a table and writes
// bench/results.json.
//
//   npm run bench                   every baseline and scenario (do not run it beside other heavy work)
//   npm run bench -- --only 4a      only what scenario 4a needs: the app, then 4a
//   npm run bench -- --only 1,4a    several; they run in the usual order, whatever order they are given in
//   NOD_D1_DELAY_MS=50 npm run bench -- --only d50    the delayed rows with another delay (ids 1-d50 …)
//
// `--only` takes the ids of the table's # column, or a scenario's number for all its rows ("2" = 2a and
// 2b). 6a/6b and 7a/7b come from one measurement each, so either id runs both. A partial run starts only
// the baselines its scenarios are compared with, and its bench/results.json says `"only": [...]`.
//
// Every latency is measured from the bench process (Node) with performance.now(), after the body of
// the response (or the whole event) has arrived. "answer → X" (scenarios 1-3) is the time from the
// answer's HTTP response to X's arrival, as scenario 1 defines it: negative when X arrived first.
// The fan-outs (5, 6) are timed from the request sent, because there the trigger's own response is
// held up by the fan-out. Baselines are whole round trips: the floor is a trivial route of the same
// server; the reference Socket.IO is a request to the official `socket.io` server in this process
// whose handler emits to subscribed socket.io-clients, request sent → event.
//
// The scenarios are bench/scenarios/*.mjs, each `{ id, rows?, title, needs, run(ctx) }`: `run` records
// its table rows through ctx.record and returns the one-line summary of its progress line.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds, machineBusySeconds, now, referenceServer, sleep } from "./lib.mjs";
import { Report } from "./report.mjs";
import { measureFloor, measureReferencePush, reportAnchors, startApp } from "./setup.mjs";
import socketFanout from "./scenarios/6-socket-fanout-and-memory.mjs";
import longPoll from "./scenarios/1-long-poll-release.mjs";
import socketPush from "./scenarios/2-socket-push.mjs";
import webhook from "./scenarios/3-webhook-delivery.mjs";
import postThroughput from "./scenarios/4-post-throughput.mjs";
import thousandWaits from "./scenarios/5-thousand-waits-release.mjs";
import expiry from "./scenarios/7-expiry-lateness.mjs";
import firstScreenJs from "./scenarios/8-first-screen-js.mjs";
import roundTrips from "./scenarios/9-d1-round-trips.mjs";
import d1Distance from "./scenarios/10-d1-distance.mjs";

/**
 * In the order they run: 6 first, on a fresh runtime (its memory reading is RSS, see its module); the rows
 * with a delay on every D1 round trip (10, 1-d20 …) last, so no other scenario runs while it is on.
 */
const SCENARIOS = [socketFanout, longPoll, socketPush, webhook, postThroughput, thousandWaits, expiry, firstScreenJs, roundTrips, d1Distance];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(ROOT);

// ---- which scenarios: --only ----------------------------------------------------------------------

/** The ids `--only` accepts for a scenario: its number and its table rows. */
const idsOf = (s) => [s.id, ...(s.rows ?? [])];

function usageError(message) {
  const valid = SCENARIOS.flatMap(idsOf).sort((a, b) => a.localeCompare(b));
  console.error(`bench: ${message}\nusage: npm run bench [-- --only <id>[,<id>…]]; valid ids: ${valid.join(", ")}`);
  process.exit(2);
}

/** The requested ids, or undefined for the whole bench; exits with a usage error on anything else. */
function parseOnly(argv) {
  let only;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg === "--only" ? argv[++i] : arg.startsWith("--only=") ? arg.slice("--only=".length) : undefined;
    if (value === undefined) usageError(arg === "--only" ? "--only needs a scenario id" : `unknown argument "${arg}"`);
    const ids = value
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean);
    if (!ids.length) usageError("--only needs a scenario id");
    for (const id of ids) if (!SCENARIOS.some((s) => idsOf(s).includes(id))) usageError(`unknown scenario id "${id}"`);
    only = [...new Set([...(only ?? []), ...ids])];
  }
  return only;
}

const only = parseOnly(process.argv.slice(2));
const selected = only ? SCENARIOS.filter((s) => idsOf(s).some((id) => only.includes(id))) : SCENARIOS;
/** Whether a row of a scenario whose rows are measured apart (2a/2b, 4a/4b) is to run. */
const wants = (row) => !only || only.includes(row) || only.includes(SCENARIOS.find((s) => s.rows?.includes(row))?.id);
const needs = new Set(selected.flatMap((s) => s.needs));

// ---- bookkeeping: whatever is opened is closed, whatever happens ---------------------------------

const HARD_LIMIT_MS = 290_000; // the bench must finish in under 5 minutes; it stops itself before
const benchStart = now();
const elapsed = () => ((now() - benchStart) / 1000).toFixed(1);
const log = (line) => console.log(line);
const report = new Report();
const { results } = report;

const cleanups = [];
const onCleanup = (fn) => cleanups.push(fn);
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await Promise.race([fn(), sleep(10_000)]);
      } catch (err) {
        console.error("cleanup:", err?.message ?? err);
      }
    }
  })();
  return cleaning;
}
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => cleanup().finally(() => process.exit(130)));

let stepNo = 0;
const STEPS = (needs.has("floor") ? 1 : 0) + (needs.has("reference") ? 1 : 0) + selected.length;
/** The app's workerd processes, once it runs: each step notes their CPU. */
let workerdPids = [];

/**
 * Runs one step with a progress line, and notes how busy the machine was meanwhile (it is shared).
 * A scenario that fails is recorded as missed, with its error, and the next one runs; a failed
 * baseline (no `scenario`) stops the bench (the ratios need it).
 */
async function step(title, fn, scenario) {
  stepNo++;
  const t0 = now();
  const pids = [process.pid, ...workerdPids];
  const busy0 = machineBusySeconds();
  const ours0 = cpuSeconds(pids);
  log(`[${String(stepNo).padStart(2)}/${STEPS}] ${title} …`);
  let summary;
  try {
    summary = await fn();
  } catch (err) {
    if (!scenario) throw err;
    summary = `FAILED: ${err?.message ?? err}`;
    report.record({ id: scenario.id, name: scenario.title, result: `error: ${err?.message ?? err}`, target: "—", met: false });
  }
  const seconds = (now() - t0) / 1000;
  const ours = (cpuSeconds(pids) - ours0) / seconds;
  const others = Math.max(0, (machineBusySeconds() - busy0) / seconds - ours);
  results.steps.push({
    step: title,
    seconds: Number(seconds.toFixed(1)),
    benchAndWorkerdCores: Number(ours.toFixed(2)),
    otherProcessesCores: Number(others.toFixed(2)),
  });
  log(`        ${summary} (${seconds.toFixed(1)} s; ${elapsed()} s total; CPU: bench+workerd ${ours.toFixed(2)} cores, other processes ${others.toFixed(2)})`);
}

// ---- main -----------------------------------------------------------------------------------------

async function main() {
  const m = results.machine;
  log(`Nod bench — ${m.cores} cores (${m.cpu}), Node ${m.node}${only ? `; only ${only.join(", ")}` : ""}`);
  if (only) results.only = only;

  // -- the SPA must exist before wrangler starts (static assets, and scenario 8); the bench builds nothing else --
  if (!existsSync("web/dist/index.html")) {
    log("web/dist is missing: npm run build:web …");
    execFileSync("npm", ["run", "build:web"], { stdio: "inherit" });
  }

  /** What every scenario's run() gets; the app's parts are added once it runs. */
  const ctx = { assetsDir: join(ROOT, "web", "dist"), baselines: results.baselines, record: (row) => report.record(row), onCleanup, log, wants };
  if (needs.has("app")) {
    const app = await startApp({ root: ROOT, onCleanup, log, elapsed });
    onCleanup(() => (results.devProxyResends = app.nod.proxyRetries));
    results.workerd = { runtimePid: app.runtimePid, devProxyPid: app.proxyPid ?? null };
    workerdPids = app.workerdPids;
    Object.assign(ctx, { app, url: app.url, nod: app.nod, assetsDir: app.assetsDir });
  }

  // -- the baselines the selected scenarios are compared with --
  if (needs.has("floor")) {
    await step("baseline: floor (GET /api/docs, a static page: the runtime's own round trip)", async () => {
      const { floor, summary } = await measureFloor(ctx.app, results.baselines);
      ctx.floor = floor;
      return summary;
    });
  }
  if (needs.has("reference")) {
    ctx.ref = await referenceServer();
    onCleanup(() => ctx.ref.close());
    ctx.ref.setPayload(ctx.app.samplePayload);
    await step("baseline: reference Socket.IO (official socket.io 4.8.4 on node:http, HTTP handler → emit)", async () => {
      const { refPush, summary } = await measureReferencePush(ctx.ref, results.baselines, onCleanup);
      ctx.refPush = refPush;
      return summary;
    });
  }
  reportAnchors(results.baselines);

  for (const scenario of selected) await step(`${scenario.id}. ${scenario.title}`, () => scenario.run(ctx), scenario);
}

// ---- run ---------------------------------------------------------------------------------------------

/** Prints the table and the summary, writes bench/results.json, and exits. */
function finish(exitCode) {
  results.durationSeconds = Number(((now() - benchStart) / 1000).toFixed(1));
  if (report.rows.length) {
    const md = report.table();
    results.table = md;
    log("");
    log(md);
  }
  const met = results.scenarios.filter((s) => s.met === true).length;
  const missed = results.scenarios.filter((s) => s.met === false).map((s) => s.id);
  log("");
  log(
    `targets met: ${met}, missed: ${missed.length ? missed.join(", ") : "none"}; ${results.machine.cores} cores, ${results.machine.cpu}, Node ${results.machine.node}; ${results.date}`,
  );
  if (results.devProxyResends) log(`requests resent after wrangler's dev proxy answered "Your worker restarted mid-request": ${results.devProxyResends}`);
  log(`bench finished in ${results.durationSeconds} s; results in bench/results.json`);
  report.write(join(ROOT, "bench", "results.json"));
  process.exit(exitCode);
}

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${HARD_LIMIT_MS / 1000} s; stopping`);
  results.error = `stopped after ${HARD_LIMIT_MS / 1000} s`;
  cleanup().finally(() => finish(2));
}, HARD_LIMIT_MS);

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = 1;
  console.error(`bench failed at step ${stepNo}: ${err?.stack ?? err}`);
  results.error = String(err?.message ?? err);
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
finish(exitCode);
