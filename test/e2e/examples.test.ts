// Every script in examples/ run as it is (from its place in the repo, configured only by NOD_URL,
// NOD_API_KEY and NOD_CHANNEL) against the real server, while the person answers in the user API.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { answerWhenAsked, asOwner, newAgent, nodUrl } from "./helpers";
import { describeRun, workspace, type Workspace } from "./seed-runner";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const example = (path: string) => join(root, "examples", path);
const PYTHON = "/usr/bin/python3"; // Debian's, which sees python3-requests and python3-socketio
const BASH = "/bin/bash";
const NODE = process.execPath;

let ws: Workspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

beforeAll(() => {
  // examples/node/client.mjs runs the typed client's build, as its header says to make it.
  execFileSync("npm", ["run", "--silent", "build:client"], { cwd: root, stdio: "pipe" });
});

interface Case {
  name: string;
  command: string;
  script: string;
  question: RegExp;
  answer: Record<string, unknown>;
  /** Lines the script must print, in this order (other lines may come between). */
  prints: RegExp[];
}

const cases: Case[] = [
  {
    name: "curl + jq",
    command: BASH,
    script: "curl/approval.sh",
    question: /^Deploy v2\.1 to production\?$/,
    answer: { selectedOption: "reject", comment: "Not on a Friday" },
    prints: [/^Asked for approval: \S+$/, /^Decision: reject$/, /^Comment: Not on a Friday$/],
  },
  {
    name: "Python requests",
    command: PYTHON,
    script: "python/approval.py",
    question: /^Please review the attached report\.$/,
    answer: { selectedOption: "approve" },
    prints: [/^Uploaded: report\.txt \(49 bytes\)$/, /^Human chose: approve$/],
  },
  {
    name: "Node fetch",
    command: NODE,
    script: "node/approval.mjs",
    question: /^### Deploy v2\.1\.0 to production\?$/,
    answer: { selectedOption: "approve", comment: "Go ahead" },
    prints: [/^Approval sent: \S+$/, /^Decision: approve$/, /^Comment: Go ahead$/, /^Deploying\.\.\.$/],
  },
  {
    name: "Node, the typed client",
    command: NODE,
    script: "node/client.mjs",
    question: /^Please configure the deployment:$/,
    answer: { env: "production", instances: 3 },
    prints: [/^Deploy to production with 3 instances$/],
  },
  {
    name: "Socket.IO, socket.io-client",
    command: NODE,
    script: "socketio/listen.mjs",
    question: /^Roll back the failed canary\?$/,
    answer: { selectedOption: "rollback", comment: "Yes, now" },
    prints: [/^Subscribed to \S+$/, /^Asked: \S+$/, /^Comment: Yes, now$/, /^Decision: rollback$/],
  },
  {
    name: "Socket.IO, python-socketio",
    command: PYTHON,
    script: "socketio/listen.py",
    question: /^Restart the stuck worker\?$/,
    answer: { selectedOption: "restart" },
    prints: [/^Subscribed to \S+$/, /^Asked: \S+$/, /^Decision: restart$/],
  },
];

function expectLinesInOrder(stdout: string, patterns: RegExp[], context: string) {
  const lines = stdout.split("\n");
  let from = 0;
  for (const re of patterns) {
    const at = lines.findIndex((line, i) => i >= from && re.test(line));
    expect(at, `${re} not printed (in order)\n${context}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

describe("examples/ run as they are against the real server", () => {
  for (const c of cases) {
    it(`${c.script} (${c.name}) asks, and prints the person's answer`, async () => {
      const { channelId, apiKey } = await newAgent(`Example ${c.script}`);
      ws = workspace();
      const env = { NOD_URL: nodUrl(), NOD_API_KEY: apiKey, NOD_CHANNEL: channelId };
      const running = ws.run(c.command, [example(c.script)], { env, timeoutMs: 45_000 });
      let answered: { status: number; json: unknown };
      try {
        answered = await answerWhenAsked(channelId, c.question, c.answer);
      } catch (err) {
        running.kill();
        throw new Error(`${err}\n${describeRun(await running.result)}`);
      }
      if (answered.status !== 200) running.kill();
      const run = await running.result;
      expect(answered.status, `the answer was refused: ${JSON.stringify(answered.json)}\n${describeRun(run)}`).toBe(200);
      expect(run.code, describeRun(run)).toBe(0);
      expectLinesInOrder(run.stdout, c.prints, describeRun(run));
      // The question is answered and no longer pending.
      const pending = await asOwner("GET", `/api/reviews?status=pending&channel=${channelId}`);
      expect(pending.json.data).toEqual([]);
    });
  }

  it("the Python example left the agent active and attached the report to its question", async () => {
    const { channelId, apiKey } = await newAgent("Example python status");
    ws = workspace();
    const running = ws.run(PYTHON, [example("python/approval.py")], { env: { NOD_URL: nodUrl(), NOD_API_KEY: apiKey, NOD_CHANNEL: channelId } });
    const answered = await answerWhenAsked(channelId, /^Please review the attached report\.$/, { selectedOption: "reject" });
    const run = await running.result;
    expect(run.code, describeRun(run)).toBe(0);
    expect(answered.json.attachments).toEqual([expect.objectContaining({ filename: "report.txt", mimeType: "text/plain", size: 49 })]);
    const agent = (await asOwner("GET", "/api/agents")).json.data.find((a: { id: string }) => a.id === channelId);
    expect(agent.status).toBe("active");
  });

  it("every example fails loudly (non-zero exit, the reason on stderr) with a wrong API key", async () => {
    const { channelId } = await newAgent("Example wrong key");
    ws = workspace();
    const env = { NOD_URL: nodUrl(), NOD_API_KEY: "hp_wrong-key", NOD_CHANNEL: channelId };
    const runs = await Promise.all(cases.map((c) => ws!.run(c.command, [example(c.script)], { env, timeoutMs: 20_000 }).result));
    runs.forEach((run, i) => {
      const c = cases[i]!;
      expect(run.timedOut, `${c.script}\n${describeRun(run)}`).toBe(false);
      expect(run.code, `${c.script}\n${describeRun(run)}`).not.toBe(0);
      expect(run.stderr, `${c.script}\n${describeRun(run)}`).toMatch(/401|Invalid API key|unauthorized/i);
    });
  });

  it("the typed client's build has no imports: nothing but fetch at run time", () => {
    const built = readFileSync(join(root, "client", "dist", "index.js"), "utf8");
    expect(built).toContain("class NodClient");
    expect(built).not.toMatch(/^\s*import\s|\brequire\(|\bimport\(/m);
  });
});
