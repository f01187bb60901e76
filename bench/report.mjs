// What `npm run bench` reports: the figures' formatting, the scenario rows, the markdown table (the README's
// Performance section copies it) and bench/results.json. The shape of both is what the README relies on.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem } from "node:os";
import { round } from "./lib.mjs";

export const fmtMs = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ms` : "—");
export const fmtStats = (s) => `p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}, max ${fmtMs(s.max)}`;

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
  return {
    cpu: model,
    cores: cpus().length,
    memoryGB: Number((totalmem() / 1e9).toFixed(1)),
    freeMemoryGB: Number((freemem() / 1e9).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export class Report {
  /** Everything that goes to bench/results.json. */
  results = { date: new Date().toISOString(), machine: machine(), baselines: {}, scenarios: [], steps: [] };
  /** The table's rows, as recorded (the raw figures, unrounded). */
  rows = [];

  /**
   * One row of the table: `stats` are latencies in ms; `baseline` is `{ name, p50 }` (a latency the ratio
   * divides by) or `{ name, value }` (a figure shown as is); `ratioNote` says what the ratio is when it
   * is not p50 ÷ baseline p50; `met` is undefined when there is no target to meet.
   */
  record(row) {
    this.rows.push(row);
    this.results.scenarios.push({
      id: row.id,
      name: row.name,
      result: row.result,
      ...(row.stats ? { latencyMs: round(row.stats) } : {}),
      ...(row.baseline
        ? { baseline: row.baseline.p50 !== undefined ? { name: row.baseline.name, p50Ms: Number(row.baseline.p50.toFixed(3)) } : row.baseline }
        : {}),
      ...(row.ratio !== undefined
        ? { ratio: Number(row.ratio.toFixed(3)), ...(row.ratioNote ? { ratioIs: row.ratioNote } : { ratioIs: "p50 ÷ baseline p50" }) }
        : {}),
      target: row.target,
      met: row.met ?? null,
      ...(row.extra ? { details: row.extra } : {}),
    });
  }

  /** The scenarios' table, then the baselines measured in this run (a partial run lists only those it measured). */
  table() {
    const b = this.results.baselines;
    const lines = [];
    lines.push("| # | scenario | result | p50 | p99 | max | baseline (same run) | ratio | target | met |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of [...this.rows].sort((a, b) => a.id.localeCompare(b.id))) {
      const s = r.stats;
      const base = !r.baseline
        ? "—"
        : r.baseline.p50 !== undefined
          ? `${r.baseline.name}: ${fmtMs(r.baseline.p50)}`
          : `${r.baseline.name}: ${r.baseline.value}`;
      const ratio = r.ratio === undefined ? "—" : r.ratio === 0 ? "0×" : `${r.ratio < 0.01 ? r.ratio.toFixed(4) : r.ratio.toFixed(2)}×`;
      const met = r.met === undefined ? "—" : r.met ? "yes" : "**no**";
      lines.push(
        `| ${r.id} | ${r.name} | ${r.result} | ${s ? fmtMs(s.p50) : "—"} | ${s ? fmtMs(s.p99) : "—"} | ${s ? fmtMs(s.max) : "—"} | ${base} | ${ratio} | ${r.target} | ${met} |`,
      );
    }
    lines.push("");
    lines.push("| baseline | p50 | p99 | max |");
    lines.push("| --- | --- | --- | --- |");
    const brow = (name, s) => s && lines.push(`| ${name} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} | ${fmtMs(s.max)} |`);
    const load = (what, t) =>
      t &&
      `${what}, 32 concurrent clients: ${t.perSecond} req/s, workerd ${t.workerdCpuMsPerRequest} ms CPU per request (${t.ofWhichDevProxy} in the dev proxy)`;
    brow("floor: GET /api/docs round trip (static page, no I/O)", b.floor);
    brow("GET /api/auth/setup round trip (one D1 read)", b.floorWithD1Read);
    brow(load("floor", b.floorThroughput), b.floorThroughput);
    brow(load("one D1 read", b.d1ReadThroughput), b.d1ReadThroughput);
    brow("reference Socket.IO, websocket: request sent → event", b.referenceSocketIO_websocket);
    brow("reference Socket.IO, polling: request sent → event", b.referenceSocketIO_polling);
    brow("reference Socket.IO, 1,000 websocket clients: request sent → each event", b.referenceSocketIO_fanout1000);
    brow("bare Worker + Durable Object (nothing else): 1,000 parked requests released at once, release sent → each body", b.bareWaitRelease1000);
    brow("the same bare runtime, handing them out 25 at a time with a turn of the event loop between", b.bareWaitRelease1000Sliced);
    if (b.bareWorkerdWebSocketMemory)
      lines.push(
        `| bare workerd (a Worker and 4 Durable Objects holding hibernatable WebSockets, nothing else): RSS growth per 1,000 idle WebSockets | +${b.bareWorkerdWebSocketMemory.mbPerThousand} MB | — | — |`,
      );
    lines.push("| anchor design (reported, not run): long-poll re-reads the database every 2 s | ≈1000 ms added | — | 2000 ms |");
    lines.push("| anchor design (reported, not run): once-a-minute expiry job | ≈30 s late | — | 60 s late |");
    return lines.join("\n");
  }

  write(path) {
    writeFileSync(path, `${JSON.stringify(this.results, null, 2)}\n`);
  }
}
