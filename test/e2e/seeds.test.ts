// The seeds' REST examples, run unchanged (only URL, API key and channel id substituted) with stock
// clients (Python requests, curl + jq, Node fetch) against the real server, while a person answers
// in the user API. The scripts are kept verbatim in test/e2e/seeds/.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { answerWhenAsked, asOwner, newAgent, nodUrl } from "./helpers";
import { describeRun, placeholders, workspace, type Running, type Workspace } from "./seed-runner";

const PYTHON = "/usr/bin/python3"; // Debian's, which sees python3-requests
const BASH = "/bin/bash";

let ws: Workspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

/** Runs the script while the person answers. If the answer is not accepted the script would wait
 *  forever, so it is stopped and the failure reports both sides. */
async function runWhileAnswering(script: Running, answer: () => Promise<{ status: number; json: unknown }>) {
  let answered: { status: number; json: unknown };
  try {
    answered = await answer();
  } catch (err) {
    script.kill();
    throw new Error(`${err}\n${describeRun(await script.result)}`);
  }
  if (answered.status !== 200) script.kill();
  const run = await script.result;
  expect(answered.status, `the person's answer was refused: ${JSON.stringify(answered.json)}\n${describeRun(run)}`).toBe(200);
  return run;
}

describe("seed examples run unchanged against Nod", () => {
  it("seed 004 (Python requests, Bearer auth): send, store report.pdf, attach + approve, download, status ping", async () => {
    const { channelId, apiKey } = await newAgent("Seed 004 python");
    const statusOf = async () => (await asOwner("GET", "/api/agents")).json.data.find((a: { id: string }) => a.id === channelId)?.status;
    expect(await statusOf(), "a new agent should not start active, or the ping check proves nothing").not.toBe("active");
    ws = workspace();
    // A small fake PDF, with bytes that are not valid UTF-8 so a lossy round trip would show.
    const pdf = Buffer.concat([
      Buffer.from("%PDF-1.4\n%"),
      Buffer.from([0xe2, 0xe3, 0xcf, 0xd3, 0x00, 0xff, 0x80]),
      Buffer.from("\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
    ]);
    writeFileSync(join(ws.dir, "report.pdf"), pdf);
    const script = ws.prepare("seed004_python.py", placeholders(nodUrl(), apiKey, channelId));
    expect(readFileSync(script, "utf8")).not.toMatch(/your-placet-instance|hp_your-api-key|your-agent-id/);

    const run = await runWhileAnswering(ws.run(PYTHON, [script]), () =>
      answerWhenAsked(channelId, /^Please review the attached report\.$/, { selectedOption: "approve" }),
    );
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout, describeRun(run)).toMatch(/^Message sent: \S+$/m);
    expect(run.stdout, describeRun(run)).toMatch(/^Uploaded: report\.pdf \(id: \S+\)$/m);
    expect(run.stdout, describeRun(run)).toContain("Human chose: approve");

    const downloaded = join(ws.dir, "downloaded.pdf");
    expect(existsSync(downloaded)).toBe(true);
    expect(Buffer.compare(readFileSync(downloaded), pdf), "downloaded.pdf differs from report.pdf").toBe(0);

    expect(await statusOf(), "the status ping should have made the agent active").toBe("active");
  });

  it("seed 002 long-poll loop (curl + jq) prints the person's answer", async () => {
    const { channelId, apiKey } = await newAgent("Seed 002 bash");
    ws = workspace();
    // The bash block reads $PLACET_URL and $API_KEY; only the literal channel id is in the text.
    const script = ws.prepare("seed002_longpoll.sh", { "your-agent-id": channelId });
    const run = await runWhileAnswering(ws.run(BASH, [script], { env: { PLACET_URL: nodUrl(), API_KEY: apiKey } }), () =>
      answerWhenAsked(channelId, /^Continue processing\?$/, { selectedOption: "yes" }),
    );
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout, describeRun(run)).toMatch(/^Response: \{/m);
    expect(run.stdout, describeRun(run)).toContain('"selectedOption": "yes"');
  });

  it("seed 002 Python form example prints the configured deployment", async () => {
    const { channelId, apiKey } = await newAgent("Seed 002 python");
    ws = workspace();
    const script = ws.prepare("seed002_python_form.py", placeholders(nodUrl(), apiKey, channelId));
    const run = await runWhileAnswering(ws.run(PYTHON, [script]), () =>
      answerWhenAsked(channelId, /^Please configure the deployment:$/, { env: "production", instances: 3 }),
    );
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout.trim(), describeRun(run)).toBe("Deploy to production with 3 instances");
  });

  it("seed 002 TypeScript selection example (Node fetch) prints the selected id", async () => {
    const { channelId, apiKey } = await newAgent("Seed 002 node");
    ws = workspace();
    const script = ws.prepare("seed002_typescript_selection.mjs", placeholders(nodUrl(), apiKey, channelId));
    const run = await runWhileAnswering(ws.run(process.execPath, [script]), () =>
      answerWhenAsked(channelId, /^Which database migration should we run\?$/, { selectedIds: ["migrate-up"] }),
    );
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout.trim(), describeRun(run)).toMatch(/^Selected: \[\s*'migrate-up'\s*\]$/);
  });
});
