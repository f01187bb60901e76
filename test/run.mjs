// `npm test`: the workerd projects (worker, limits) and the e2e project in two vitest processes at once.
//
// Inside one vitest run they cannot overlap: vitest puts a project without file parallelism (e2e shares
// one `wrangler dev` server, so its files run one at a time) in a group of its own, after the others.
// The e2e files mostly wait on a browser or a server, so on two cores the two runs side by side take
// about the time of the longer one. The workerd run's output streams as it comes; the e2e run's is
// held and printed whole after it, so neither interleaves with the other. Arguments go to both runs
// (e.g. `npm test -- -t "inbox"`). The exit code is non-zero if either run failed.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** vitest's own bin (its package exports do not include it). */
const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const extra = process.argv.slice(2);

function run(name, projects, { live, args: own = [] }) {
  const started = Date.now();
  const args = [vitest, "run", ...projects.flatMap((p) => ["--project", p]), ...own, ...extra];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const held = [];
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    stream.on("data", (chunk) => (live ? out.write(chunk) : held.push([out, chunk])));
  }
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ name, code: code ?? 1, signal, seconds: (Date.now() - started) / 1000, held })),
  );
}

// One workerd file at a time beside the e2e run: with two, a browser page load timed out (30 s) in two full
// runs out of two on two cores (the browser, the dev server and three workerd runtimes at once).
const results = await Promise.all([run("workerd", ["worker", "limits"], { live: true, args: ["--maxWorkers", "1"] }), run("e2e", ["e2e"], { live: false })]);
for (const { held } of results) for (const [out, chunk] of held) out.write(chunk);
console.log("");
for (const r of results) {
  const outcome = r.code === 0 ? "passed" : `failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ""})`;
  console.log(`[npm test] ${r.name}: ${outcome} in ${r.seconds.toFixed(0)} s`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
