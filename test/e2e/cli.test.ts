// The published package as a user gets it: `npm pack` of client/ (its prepack builds dist/), installed into an
// empty project with no network, then its `nod` bin run against the real server (wrangler dev) while the test
// plays the person through the user API. Also: the package's .d.ts type-checks in that project with nothing
// else installed (no zod), so the types it ships are self-contained.
import { execFileSync, spawn } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodClient } from "../../client/src/index";
import { answerWhenAsked, newAgent, nodUrl } from "./helpers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsc = join(root, "node_modules", ".bin", "tsc");
/** A consumer's compiler options: Node's own resolution (exports, .js specifiers), every check on. */
const STRICT_NODENEXT = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  lib: ["ES2022", "DOM"],
  types: [],
  strict: true,
  noEmit: true,
};
let work: string;
let project: string;
let nod: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "nod-cli-"));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: join(root, "client"), encoding: "utf8" });
  const tarball = join(work, packed.trim().split("\n").at(-1)!);
  project = join(work, "project");
  execFileSync("mkdir", [project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // --offline: the package has no dependencies, so installing it needs nothing but the tarball.
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--silent", tarball], { cwd: project, stdio: "pipe" });
  nod = join(project, "node_modules", ".bin", "nod");
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the installed bin with only PATH and the given environment (no TTY: plain progress lines). */
function run(args: string[], env: Record<string, string>, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(nod, args, { cwd: project, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    // A command that never reads stdin (--help) may exit before this write lands: its EPIPE is no failure.
    child.stdin.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") reject(err);
    });
    child.stdin.end(stdin ?? "");
  });
}

async function agentEnv(name: string) {
  const { channelId, apiKey } = await newAgent(name);
  return { channelId, apiKey, env: { NOD_URL: nodUrl(), NOD_API_KEY: apiKey, NOD_CHANNEL: channelId } };
}

describe("the packed @nod/client", () => {
  it("ships dist/, README and CHANGELOG only, with no dependencies", () => {
    const pkg = JSON.parse(execFileSync("cat", [join(project, "node_modules", "@nod", "client", "package.json")], { encoding: "utf8" }));
    expect(pkg.dependencies ?? {}).toEqual({});
    const files = execFileSync("find", [".", "-type", "f"], { cwd: join(project, "node_modules", "@nod", "client"), encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^\.\//, ""))
      .sort();
    expect(files.filter((f) => !f.startsWith("dist/"))).toEqual(["CHANGELOG.md", "README.md", "package.json"]);
    expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/nod.js", "dist/nod-mcp.js", "dist/types/client/src/index.d.ts"]));
  });

  it("type-checks a consumer with nothing else installed: the answer typed by the review, the contract's request types", () => {
    writeFileSync(
      join(project, "consumer.ts"),
      `import { NodClient, NodError, ReviewExpiredError, type Message, type ReviewRequest } from "@nod/client";
const nod = new NodClient({ url: "https://nod.example.com", apiKey: "hp_x", channelId: "agent" });
export async function gate(): Promise<"go" | "hold"> {
  const answer = await nod.ask({
    text: "Ship?",
    review: { type: "approval", payload: { options: [{ id: "go", label: "Go" }, { id: "hold", label: "Hold", style: "danger" }] }, expiresInSeconds: 60 },
  });
  // @ts-expect-error the answer's option is one of those asked
  const wrong: "nope" = answer.selectedOption;
  const form = await nod.ask({ review: { type: "form", payload: { fields: [{ name: "n", type: "number", label: "N", required: true }] } } });
  const n: number = form.n;
  // @ts-expect-error the contract knows the five review types
  const bad: ReviewRequest = { type: "vote", payload: {} };
  void [wrong, n, bad];
  return answer.selectedOption;
}
export const failed = (e: unknown) => e instanceof NodError || e instanceof ReviewExpiredError;
export type Asked = Message;
`,
    );
    // Node's own resolution (exports, .js specifiers), every check on, the package's .d.ts included (no skipLibCheck).
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: STRICT_NODENEXT, files: ["consumer.ts"] }));
    const check = () => execFileSync(tsc, ["-p", "tsconfig.json"], { cwd: project, encoding: "utf8", stdio: "pipe" });
    expect(check).not.toThrow();
  });

  it("imports in plain Node from the installed package", () => {
    const out = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'const m = await import("@nod/client"); console.log(Object.keys(m).sort().join())'],
      {
        cwd: project,
        encoding: "utf8",
      },
    );
    expect(out.trim()).toBe("NodClient,NodError,ReviewExpiredError");
  });
});

describe("the packed package's adapters (@nod/client/ai-sdk, /openai-agents, /langgraph)", () => {
  const ADAPTERS = {
    "ai-sdk": { framework: "ai", exports: ["approvalRequests", "generateTextWithNod", "resolveToolApprovals"] },
    "openai-agents": { framework: "@openai/agents", exports: ["resolveInterruptions", "runWithNod"] },
    langgraph: {
      framework: "@langchain/langgraph",
      exports: ["askInterrupt", "askInterrupts", "interruptReview", "interruptsOf", "invokeWithNod", "resumeFromWebhook"],
    },
  } as const;
  const load = (subpath: string) =>
    execFileSync(
      process.execPath,
      ["--input-type=module", "-e", `const m = await import("@nod/client/${subpath}"); console.log(Object.keys(m).sort().join())`],
      {
        cwd: project,
        encoding: "utf8",
        stdio: "pipe",
      },
    );

  it("ships each adapter with its declarations, the frameworks as optional peers that npm did not install", () => {
    const base = join(project, "node_modules", "@nod", "client");
    const pkg = JSON.parse(execFileSync("cat", [join(base, "package.json")], { encoding: "utf8" }));
    for (const [name, { framework }] of Object.entries(ADAPTERS)) {
      expect(pkg.exports[`./${name}`]).toEqual({ types: `./dist/types/client/src/adapters/${name}.d.ts`, import: `./dist/adapters/${name}.js` });
      expect(pkg.peerDependenciesMeta[framework]).toEqual({ optional: true });
      expect(
        execFileSync("ls", [join(base, "dist", "adapters", `${name}.js`), join(base, "dist", "types", "client", "src", "adapters", `${name}.d.ts`)]),
      ).toBeTruthy();
      // Nothing pulled a framework in: an adapter without its framework fails to load, naming it.
      expect(() => load(name)).toThrow(new RegExp(`Cannot find (package|module) '${framework.replace("/", "\\/")}'`));
    }
  });

  it("each subpath loads and type-checks in a project that has its framework (linked from the repository's node_modules)", () => {
    for (const { framework } of Object.values(ADAPTERS)) {
      const link = join(project, "node_modules", ...framework.split("/"));
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(root, "node_modules", ...framework.split("/")), link);
    }
    for (const [name, { exports }] of Object.entries(ADAPTERS)) {
      const keys = load(name).trim().split(",");
      expect(keys).toEqual(expect.arrayContaining([...exports, "askToolApproval", "toolApprovalMessage", "toolDecision"]));
    }
    writeFileSync(
      join(project, "adapters.ts"),
      `import { NodClient } from "@nod/client";
import { generateTextWithNod, type ToolDecision } from "@nod/client/ai-sdk";
import { runWithNod } from "@nod/client/openai-agents";
import { invokeWithNod, type InterruptDecision } from "@nod/client/langgraph";
const nod = new NodClient({ url: "https://nod.example.com", apiKey: "hp_x" });
export const fns = [generateTextWithNod, runWithNod, invokeWithNod] as const;
export const d = (x: ToolDecision, y: InterruptDecision): boolean => x.approved && y.approved;
export { nod };
`,
    );
    // Every check on, the adapters' .d.ts and the frameworks' own included (no skipLibCheck).
    writeFileSync(join(project, "tsconfig.adapters.json"), JSON.stringify({ compilerOptions: STRICT_NODENEXT, files: ["adapters.ts"] }));
    expect(() => execFileSync(tsc, ["-p", "tsconfig.adapters.json"], { cwd: project, encoding: "utf8", stdio: "pipe" })).not.toThrow();
  });
});

describe("nod ask (the installed bin) against wrangler dev", () => {
  it("exits 0 with the answer's JSON on stdout when the person approves", async () => {
    const { channelId, env } = await agentEnv("CLI approve");
    const asking = run(["ask", "Deploy v2.1 to production? (approve case)", "--approve", "--timeout", "10m"], env);
    expect((await answerWhenAsked(channelId, /approve case\)$/, { selectedOption: "approve" })).status).toBe(200);
    const { code, stdout, stderr } = await asking;
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const answer = JSON.parse(stdout);
    expect(answer).toMatchObject({
      status: "completed",
      channelId,
      response: { selectedOption: "approve" },
      respondedBy: { displayName: "Owner" },
      resolution: "person",
    });
    expect(stderr).toContain(`asked (message ${answer.messageId}`);
    expect(stderr).toMatch(/waiting for an answer/);
  });

  it("exits 1 when the person rejects", async () => {
    const { channelId, env } = await agentEnv("CLI reject");
    const asking = run(["ask", "Deploy v2.1 to production? (reject case)", "--approve"], env);
    await answerWhenAsked(channelId, /reject case\)$/, { selectedOption: "reject", comment: "not on a Friday" });
    const { code, stdout } = await asking;
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: "completed", response: { selectedOption: "reject", comment: "not on a Friday" } });
  });

  it("exits 2 with status expired once the review expires unanswered", async () => {
    const { env } = await agentEnv("CLI expiry");
    const started = Date.now();
    const { code, stdout, stderr } = await run(["ask", "Anyone there?", "--approve", "--timeout", "2s"], env);
    expect({ code, stderr }).toMatchObject({ code: 2 });
    expect(JSON.parse(stdout)).toMatchObject({ status: "expired", response: null, respondedBy: null });
    expect(stderr).toContain("expired without an answer");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("exits 1 for an option marked --danger, 0 for the others, and returns a --text answer", async () => {
    const { channelId, env } = await agentEnv("CLI options");
    const rollback = run(["ask", "Release 7 looks slow (options case)", "--options", "keep,rollback", "--danger", "rollback"], env);
    await answerWhenAsked(channelId, /options case\)$/, { selectedOption: "rollback" });
    expect((await rollback).code).toBe(1);
    const keep = run(["ask", "Release 8? (options case 2)", "--options", "keep,rollback", "--danger", "rollback"], env);
    await answerWhenAsked(channelId, /options case 2\)$/, { selectedOption: "keep" });
    expect((await keep).code).toBe(0);
    const text = run(["ask", "Release notes? (text case)", "--text"], env);
    await answerWhenAsked(channelId, /text case\)$/, { text: "Faster search." });
    const done = await text;
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout).response).toEqual({ text: "Faster search." });
  });

  it("asks with a form read from stdin", async () => {
    const { channelId, env } = await agentEnv("CLI form");
    const fields = [{ name: "instances", type: "number", label: "Instances", required: true, min: 1, max: 10 }];
    const asking = run(["ask", "How many? (form case)", "--form", "-"], env, JSON.stringify(fields));
    await answerWhenAsked(channelId, /form case\)$/, { instances: 3 });
    const { code, stdout } = await asking;
    expect(code).toBe(0);
    expect(JSON.parse(stdout).response).toEqual({ instances: 3 });
  });

  it("exits 3 for bad input: the server's 400 with its errors on stderr, and a flag it cannot parse", async () => {
    const { env } = await agentEnv("CLI bad input");
    const refused = await run(["ask", "Deploy?", "--approve", "--priority", "whenever"], env);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/HTTP 400/);
    expect(refused.stderr).toMatch(/review\.priority: /);
    const unparsable = await run(["ask", "Deploy?", "--timeout", "soon"], env);
    expect(unparsable.code).toBe(3);
    expect(unparsable.stderr).toMatch(/--timeout: "soon" is not a duration/);
    expect((await run(["ask", "Deploy?", "--approve", "--text"], env)).code).toBe(3);
    expect((await run(["deploy"], env)).code).toBe(3);
    expect((await run(["ask", "Deploy?"], { PATH: process.env.PATH ?? "" })).stderr).toMatch(/NOD_URL/);
  });

  it("exits 4 when the server refuses: an unknown key (401), a channel the key cannot use (404)", async () => {
    const { env } = await agentEnv("CLI refused");
    const badKey = await run(["ask", "Deploy?"], { ...env, NOD_API_KEY: "hp_not-a-key" });
    expect(badKey.code).toBe(4);
    expect(badKey.stderr).toMatch(/HTTP 401/);
    const otherChannel = await run(["ask", "Deploy?", "--channel", "no-such-channel"], env);
    expect(otherChannel.code).toBe(4);
    expect(otherChannel.stderr).toMatch(/HTTP 404/);
  });
});

/**
 * A pass-through proxy to the real server that can go down: while down it cuts every open connection and
 * refuses new requests with a dropped socket, as a restarting server or a flaky network does.
 */
async function flakyProxy(target: string) {
  let down = false;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (down) return req.socket.destroy();
    const upstream = httpRequest(new URL(req.url ?? "/", target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDown(value: boolean) {
      down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("nod ask through an outage", () => {
  it("keeps waiting while the connection drops and comes back, and still gets the answer", async () => {
    const { channelId, env } = await agentEnv("CLI outage");
    const proxy = await flakyProxy(nodUrl());
    try {
      const asking = run(["ask", "Deploy through the outage? (outage case)", "--approve"], { ...env, NOD_URL: proxy.url });
      // The question is in (the person's inbox shows it) and the bin is long-polling through the proxy: cut it.
      await expect.poll(async () => (await new NodClient({ url: nodUrl(), apiKey: env.NOD_API_KEY, channelId }).pending()).length).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      proxy.setDown(true);
      await new Promise((r) => setTimeout(r, 2500));
      proxy.setDown(false);
      await answerWhenAsked(channelId, /outage case\)$/, { selectedOption: "approve" });
      const { code, stdout, stderr } = await asking;
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(JSON.parse(stdout)).toMatchObject({ status: "completed", response: { selectedOption: "approve" } });
      expect(stderr, "the outage should have been seen and retried").toMatch(/fetch failed.*; retrying in [\d.]+ s \(1 of 30 failures in a row\)/);
    } finally {
      await proxy.close();
    }
  });

  it("exits 5 when the server cannot be reached at all", async () => {
    const proxy = await flakyProxy(nodUrl());
    proxy.setDown(true);
    try {
      const { code, stderr } = await run(["channels"], { NOD_URL: proxy.url, NOD_API_KEY: "hp_whatever" });
      expect(code).toBe(5);
      expect(stderr).toMatch(/fetch failed/);
    } finally {
      await proxy.close();
    }
  });
});

describe("the other commands of nod", () => {
  it("channels, ping, send --file, upload, pending and wait", async () => {
    const { channelId, apiKey, env } = await agentEnv("CLI commands");

    const channels = await run(["channels", "--json"], env);
    expect(channels.code).toBe(0);
    expect(JSON.parse(channels.stdout).map((a: { id: string }) => a.id)).toEqual([channelId]);
    expect((await run(["channels"], env)).stdout).toMatch(new RegExp(`^${channelId}\\tCLI commands\\t`));

    const ping = await run(["ping", "--status", "busy", "--message", "Migrating", "--json"], env);
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout)).toMatchObject({ id: channelId, status: "busy", statusMessage: "Migrating" });

    writeFileSync(join(project, "report.txt"), "all green\n");
    const sent = await run(["send", "Build #812 passed", "--status", "success", "--file", "report.txt", "--json"], env);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ text: "Build #812 passed", status: "success", attachments: [{ filename: "report.txt" }] });

    const stored = await run(["upload", "report.txt"], env);
    expect(stored.code).toBe(0);
    const fileId = stored.stdout.trim();
    const withStored = await run(["send", "The report again", "--attach", fileId, "--json"], env);
    expect(JSON.parse(withStored.stdout).attachments.map((a: { id: string }) => a.id)).toEqual([fileId]);

    // A review asked by other means: nod pending lists it, nod wait gets its answer.
    const asked = await new NodClient({ url: nodUrl(), apiKey, channelId }).send({
      text: "Merge the branch? (wait case)",
      review: { type: "approval", payload: { options: APPROVE_REJECT } },
    });
    const pending = await run(["pending", "--json"], env);
    expect(JSON.parse(pending.stdout).map((m: { id: string }) => m.id)).toEqual([asked.id]);
    const waiting = run(["wait", asked.id], env);
    await answerWhenAsked(channelId, /wait case\)$/, { selectedOption: "no" });
    const waited = await waiting;
    expect(waited.code).toBe(1);
    expect(JSON.parse(waited.stdout)).toMatchObject({ status: "completed", messageId: asked.id, response: { selectedOption: "no" } });
    expect((await run(["wait", "no-such-message"], env)).code).toBe(4);
  });

  it("prints help for nod and each command", async () => {
    const help = await run(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:[\s\S]*ask[\s\S]*channels/);
    const askHelp = await run(["ask", "--help"], {});
    expect(askHelp.code).toBe(0);
    expect(askHelp.stdout).toMatch(/^Usage: nod ask <question>/);
    expect((await run([], {})).code).toBe(3);
  });
});

const APPROVE_REJECT = [
  { id: "yes", label: "Yes" },
  { id: "no", label: "No", style: "danger" },
] as const;
