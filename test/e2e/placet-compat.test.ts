// Code written against Placet's API reference runs unchanged against Nod (issue 14). The scripts in
// test/e2e/placet/ were written from Placet's public docs (openapi.json, the Python, TypeScript and
// "Iterations" guides) as a Placet user would, reading only the instance URL, the key and the
// channel from the environment. Each checks the response shapes Placet documents (bare arrays for
// agents and pending reviews, {data, nextCursor} for messages, the attachment of /files/store with
// messageId, /files/upload's attachment plus message, the iteration chain) and exits non-zero
// naming the call that differed. Meanwhile this test plays the person through the user API.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../common";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { describeRun } from "./seed-runner";

const PYTHON = "/usr/bin/python3"; // Debian's, which sees python3-requests
const scriptsDir = join(dirname(fileURLToPath(import.meta.url)), "placet");

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** A script running in its own temp dir; its output can be watched while it runs. */
interface Script {
  dir: string;
  done: Promise<Finished>;
  /** Resolves once stdout matches; rejects (with everything said so far) if the script ends first. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(): void;
}

const running: Script[] = [];
afterEach(() => {
  for (const s of running.splice(0)) {
    s.kill();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

/** Starts a Placet script with the URL, key and channel in its environment (PLACET_URL, PLACET_API_KEY, PLACET_CHANNEL). */
function start(command: string, script: string, agent: { channelId: string; apiKey: string }, files: Record<string, Buffer> = {}, timeoutMs = 60_000): Script {
  const dir = mkdtempSync(join(tmpdir(), "nod-placet-"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(command, [join(scriptsDir, script)], {
    cwd: dir,
    env: {
      ...process.env,
      PATH: `/usr/bin:/bin:${process.env.PATH ?? ""}`,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
      PLACET_URL: nodUrl(),
      PLACET_API_KEY: agent.apiKey,
      PLACET_CHANNEL: agent.channelId,
      // Short polls, so the scripts' "timeout → ask again" branch runs too.
      PLACET_POLL_TIMEOUT_MS: "1500",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const out = { stdout: "", stderr: "", closed: false, timedOut: false };
  const watchers = new Set<() => void>();
  const kill = () => {
    if (out.closed || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    out.timedOut = true;
    kill();
  }, timeoutMs);
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out.stdout += d;
    for (const w of watchers) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out.stderr += d));
  const done = new Promise<Finished>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      out.closed = true;
      clearTimeout(timer);
      resolve({ code, signal, timedOut: out.timedOut, stdout: out.stdout, stderr: out.stderr });
      for (const w of watchers) w();
    });
  });
  const printed = (pattern: RegExp, waitMs = 45_000) =>
    new Promise<void>((resolve, reject) => {
      const giveUp = setTimeout(() => settle(new Error(`the script did not print ${pattern} within ${waitMs} ms`)), waitMs);
      const settle = (err?: Error) => {
        clearTimeout(giveUp);
        watchers.delete(check);
        if (err) reject(new Error(`${err.message}\n${describeRun({ code: null, signal: null, ...out })}`));
        else resolve();
      };
      const check = () => {
        if (pattern.test(out.stdout)) settle();
        else if (out.closed) settle(new Error(`the script ended without printing ${pattern}`));
      };
      watchers.add(check);
      check();
    });
  const s = { dir, done, printed, kill };
  running.push(s);
  return s;
}

/** The person: waits for the pending review whose text matches, then answers it (with feedback if given). */
async function answer(channelId: string, text: RegExp, body: { response: unknown; feedback?: string }) {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const inbox = await asOwner("GET", `/api/reviews?status=pending&channel=${channelId}`);
    const msg = inbox.json.data.find((m: { text: string | null }) => text.test(m.text ?? ""));
    if (msg) {
      const res = await asOwner("POST", `/api/messages/${msg.id}/respond`, body);
      expect(res.status, `the person's answer was refused: ${JSON.stringify(res.json)}`).toBe(200);
      return msg.id as string;
    }
    await sleep(50);
  }
  throw new Error(`no pending review matching ${text} within 30 s`);
}

/** Waits for the script to end and checks it succeeded, showing all it said otherwise. */
async function succeeded(script: Script) {
  const run = await script.done;
  expect(run.code, describeRun(run)).toBe(0);
  return run;
}

/** A small fake PDF whose bytes are not valid UTF-8, so a lossy round trip would show. */
const reportPdf = Buffer.concat([
  Buffer.from("%PDF-1.4\n%"),
  Buffer.from([0xe2, 0xe3, 0xcf, 0xd3, 0x00, 0xff, 0x80, 0x0d, 0x0a]),
  Buffer.from("1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
]);

describe("scripts written from Placet's API reference run unchanged against Nod", () => {
  it("Python (requests): store a file, attach it to an approval, long-poll until decided, download it back", async () => {
    const agent = await newAgent("Placet compat python");
    const script = start(PYTHON, "approval_with_file.py", agent, { "report.pdf": reportPdf });
    // Let at least one poll come back "timeout" before deciding, so the loop is exercised.
    await script.printed(/^Still waiting for a decision\.\.\.$/m);
    await answer(agent.channelId, /^Please review the attached Q3 report\.$/, { response: { selectedOption: "approve" } });
    const run = await succeeded(script);
    expect(run.stdout).toMatch(/^Uploaded: report\.pdf \(id: \S+\)$/m);
    expect(run.stdout).toMatch(/^Message sent: \S+$/m);
    expect(run.stdout).toMatch(/^Pending reviews: 1$/m);
    expect(run.stdout).toContain(`Downloaded ${reportPdf.length} bytes, identical to the upload`);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("Human chose: approve");
    expect(Buffer.compare(readFileSync(join(script.dir, "downloaded.pdf")), reportPdf), "downloaded.pdf differs from report.pdf").toBe(0);
  });

  it("TypeScript (Node fetch): the same flow, then a summary through /files/upload", async () => {
    const agent = await newAgent("Placet compat node");
    const script = start(process.execPath, "approval_with_file.mjs", agent, { "report.pdf": reportPdf });
    await script.printed(/^Still waiting for a decision\.\.\.$/m);
    await answer(agent.channelId, /^Please review the attached deployment plan\.$/, { response: { selectedOption: "reject" } });
    const run = await succeeded(script);
    expect(run.stdout).toMatch(/^Uploaded: report\.pdf \(id: \S+\)$/m);
    expect(run.stdout).toContain(`Downloaded ${reportPdf.length} bytes, identical to the upload`);
    expect(run.stdout).toMatch(/^Summary uploaded: \S+ in message \S+$/m);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("Decision: reject");

    // The person sees what the script posted: the plan with the report, then the summary with its file.
    const history = await asOwner("GET", `/api/messages?channel=${agent.channelId}&limit=10`);
    expect(history.status, JSON.stringify(history.json)).toBe(200);
    const texts = (history.json.data as { text: string | null; attachments: { filename: string }[] }[]).map((m) => [
      m.text,
      m.attachments.map((a) => a.filename),
    ]);
    expect(texts).toEqual(
      expect.arrayContaining([
        ["Please review the attached deployment plan.", ["report.pdf"]],
        ["Decision summary", ["summary.txt"]],
        ["Rollout notes", ["content.md"]],
      ]),
    );
  });

  for (const { language, command, file, draft } of [
    { language: "Python", command: PYTHON, file: "iteration_loop.py", draft: /^Q1 report draft\./ },
    { language: "Node", command: process.execPath, file: "iteration_loop.mjs", draft: /^Release notes draft\./ },
  ]) {
    it(`${language} iteration loop: rejected with feedback, revised with iterationOf, approved; the chain reads back`, async () => {
      const agent = await newAgent(`Placet compat iterations ${file}`);
      const script = start(command, file, agent);
      const feedback = "Add the Q2 projection and fix the growth figure.";
      const first = await answer(agent.channelId, draft, { response: { selectedOption: "reject" }, feedback });
      await script.printed(new RegExp(`^Round 1: rejected, feedback: ${feedback.replace(/\./g, "\\.")}$`, "m"));
      const second = await answer(agent.channelId, /Revised after feedback: Add the Q2 projection/, { response: { selectedOption: "approve" } });
      const run = await succeeded(script);
      expect(run.stdout).toMatch(/^Round 2: approve$/m);

      const chain = JSON.parse(run.stdout.trimEnd().split("\n").at(-1)!);
      expect(chain.groupId).toBe(first);
      expect(chain.iterations.map((m: { id: string }) => m.id)).toEqual([first, second]);
      expect(chain.iterations.map((m: { iteration: number }) => m.iteration)).toEqual([1, 2]);
      expect(chain.iterations.map((m: { iterationGroupId: string }) => m.iterationGroupId)).toEqual([first, first]);
      expect(chain.iterations.map((m: { status: string }) => m.status)).toEqual(["completed", "completed"]);
      expect(chain.iterations.map((m: { selectedOption: string }) => m.selectedOption)).toEqual(["reject", "approve"]);
      expect(chain.iterations[0].feedback).toBe(feedback);
      expect(chain.iterations[1].feedback).toBeNull();
      expect(chain.iterations[1].text).toContain(`Revised after feedback: ${feedback}`);
    });
  }

  // docs/api.md, "Compatibility": where Nod answers differently from Placet on purpose, and Placet's own
  // iterationOf rules. Plain calls with the agent's key, as a script would make them.
  it("the documented differences: a foreign id is a 404, errors[].path is dotted, timeout=0 answers at once, unknown fields are a 400; iterationOf is checked as Placet documents", async () => {
    const mine = await newAgent("Placet compat differences");
    const other = await newAgent("Placet compat other channel");
    const agentApi = async (apiKey: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${nodUrl()}/api/v1${path}`, {
        method,
        headers: { "x-api-key": apiKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: await res.json() };
    };
    const approval = (channelId: string, text: string, extra: object = {}) => ({
      channelId,
      text,
      review: { type: "approval", payload: { options: [{ id: "approve", label: "Approve" }] } },
      ...extra,
    });

    const theirs = await agentApi(other.apiKey, "POST", "/messages", approval(other.channelId, "Another channel's question"));
    expect(theirs.status, JSON.stringify(theirs.json)).toBe(201);
    const form = new FormData();
    form.append("file", new Blob(["their notes"], { type: "text/plain" }), "notes.txt");
    form.append("channelId", other.channelId);
    const theirFile = await fetch(`${nodUrl()}/api/v1/files/store`, { method: "POST", headers: { "x-api-key": other.apiKey }, body: form });
    expect(theirFile.status).toBe(201);
    const theirFileId = (await theirFile.json()).id;
    const pending = await agentApi(mine.apiKey, "POST", "/messages", approval(mine.channelId, "Still open"));
    expect(pending.status, JSON.stringify(pending.json)).toBe(201);

    // A message outside the key's reach: 404 (Placet: 403), on every route that takes its id.
    for (const path of [
      `/messages/${theirs.json.id}?channel=${mine.channelId}`,
      `/reviews/${theirs.json.id}/wait?channel=${other.channelId}&timeout=0`,
      `/messages/iterations/${theirs.json.id}?channel=${mine.channelId}`,
      `/files/${theirFileId}/download`,
    ]) {
      const res = await agentApi(mine.apiKey, "GET", path);
      expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBe(404);
      expect(res.json).toMatchObject({ statusCode: 404, errors: [] });
    }

    // Every problem listed, each path a dotted string (Placet: an array of segments).
    const bad = await agentApi(mine.apiKey, "POST", "/messages", {
      channelId: mine.channelId,
      review: { type: "approval", payload: { options: [{ id: 7, label: "Seven" }] } },
    });
    expect(bad.status, JSON.stringify(bad.json)).toBe(400);
    expect(bad.json.errors).toContainEqual(expect.objectContaining({ path: "review.payload.options.0.id", code: "invalid_type" }));
    for (const e of bad.json.errors) expect(typeof e.path, JSON.stringify(e)).toBe("string");

    // An unknown field is refused (Placet strips it), and nothing is stored.
    const typo = await agentApi(mine.apiKey, "POST", "/messages", { channelId: mine.channelId, text: "Hello", colour: "red" });
    expect(typo.status, JSON.stringify(typo.json)).toBe(400);
    expect(JSON.stringify(typo.json.errors)).toContain("colour");

    // timeout=0 answers at once with the review's state now.
    const asked = Date.now();
    const now = await agentApi(mine.apiKey, "GET", `/reviews/${pending.json.id}/wait?channel=${mine.channelId}&timeout=0`);
    expect(now.status, JSON.stringify(now.json)).toBe(200);
    expect(now.json).toEqual({ status: "timeout" });
    expect(Date.now() - asked, "timeout=0 should not wait").toBeLessThan(5_000);

    // Placet's iterationOf rules: the target must exist in this channel and its review be settled (each a 400).
    const list = await agentApi(mine.apiKey, "GET", `/messages?channel=${mine.channelId}`);
    const before = list.json.data.length;
    for (const [target, why] of [
      [pending.json.id, /pending/],
      [theirs.json.id, /no such message/],
      ["no-such-message", /no such message/],
    ] as const) {
      const res = await agentApi(mine.apiKey, "POST", "/messages", approval(mine.channelId, "Revision", { iterationOf: target }));
      expect(res.status, `iterationOf ${target}: ${JSON.stringify(res.json)}`).toBe(400);
      expect(res.json.errors).toContainEqual(expect.objectContaining({ path: "iterationOf", message: expect.stringMatching(why) }));
    }
    const after = await agentApi(mine.apiKey, "GET", `/messages?channel=${mine.channelId}`);
    expect(after.json.data.length, "a refused message was stored").toBe(before);
  });
});
