// Claude Code's permission hook (POST /api/v1/hooks/claude-code) against the real Worker, D1 and channel room:
// the JSON bodies are the shapes Claude Code's hooks reference documents for an `http` hook; the person answers
// through the user API while the hook request is still waiting. No real Claude Code runs here.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { agentWithKey, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, keyClient, pathsOf, type Bot } from "./api-helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  bot = await agentWithKey(owner, "Claude Code");
});

/** A fresh channel of the owner, so each test reads only its own messages. */
async function newChannel(name = "Claude Code session") {
  const res = await bot.v1("POST", "/agents", { name });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

const common = {
  session_id: "abc123",
  transcript_path: "/home/user/.claude/projects/my-project/00893aaf-19fa-41d2-8238-13269b9b3ca0.jsonl",
  cwd: "/home/user/my-project",
  permission_mode: "default",
};

/** A PermissionRequest as Claude Code posts it (hooks reference, "PermissionRequest input"). */
const permissionRequest = (tool_name: string, tool_input: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...common,
  hook_event_name: "PermissionRequest",
  tool_name,
  tool_input,
  permission_suggestions: [{ type: "addRules", rules: [{ toolName: tool_name }], behavior: "allow", destination: "localSettings" }],
  ...extra,
});

const bash = (command = "npm test", description?: string) => permissionRequest("Bash", { command, ...(description ? { description } : {}) });

function hook(channel: string, body: unknown, query = "", headers: Record<string, string> = { "x-api-key": bot.apiKey }) {
  return call("POST", `/api/v1/hooks/claude-code?channel=${channel}${query}`, { body, headers });
}

/** The channel's messages, oldest first. */
async function messagesOf(channel: string) {
  const res = await bot.v1("GET", `/messages?channel=${channel}`);
  expect(res.status, res.text).toBe(200);
  return [...res.json.data].reverse();
}

/** The pending review of the channel, as the owner's inbox lists it once the hook has posted it. */
async function pendingReview(channel: string) {
  for (let i = 0; i < 200; i++) {
    const inbox = await owner.as("GET", `/api/reviews?status=pending&channel=${channel}`);
    expect(inbox.status, inbox.text).toBe(200);
    if (inbox.json.data.length) return inbox.json.data[0];
    await sleep(25);
  }
  throw new Error("no pending review appeared");
}

describe("PermissionRequest", () => {
  it("waits for the person: Allow answers behavior allow", async () => {
    const ch = await newChannel();
    const started = Date.now();
    const pending = hook(ch, bash("git push origin main", "Push the branch"));
    const review = await pendingReview(ch);
    expect(review.review).toMatchObject({ type: "approval", status: "pending" });
    expect(review.review.payload).toEqual({
      options: [
        { id: "allow", label: "Allow", style: "primary" },
        { id: "deny", label: "Deny", style: "danger" },
      ],
      allowComment: true,
    });
    expect(review.metadata).toEqual({
      source: "claude-code",
      hook_event_name: "PermissionRequest",
      session_id: "abc123",
      cwd: "/home/user/my-project",
      tool_name: "Bash",
      permission_mode: "default",
    });
    // The default wait is 55 s, and so is the review's life.
    const life = Date.parse(review.review.expiresAt) - started;
    expect(life).toBeGreaterThan(54_000);
    expect(life).toBeLessThan(57_000);
    const answered = await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "allow" } });
    expect(answered.status, answered.text).toBe(200);
    const res = await pending;
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "allow" } } });
  });

  it("Deny answers behavior deny with the person's comment, or a default reason without one", async () => {
    const ch = await newChannel();
    const pending = hook(ch, bash("rm -rf node_modules"), "", { authorization: `Bearer ${bot.apiKey}` });
    const review = await pendingReview(ch);
    await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "deny", comment: "Not on the shared box, please" } });
    expect((await pending).json).toEqual({
      hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "deny", message: "Not on the shared box, please" } },
    });

    const second = hook(ch, bash("rm -rf dist"));
    const again = await pendingReview(ch);
    await owner.as("POST", `/api/messages/${again.id}/respond`, { response: { selectedOption: "deny" } });
    const res = await second;
    expect(res.json.hookSpecificOutput.decision.behavior).toBe("deny");
    expect(res.json.hookSpecificOutput.decision.message).toMatch(/denied/i);
  });

  it("times out as a deny with a message, and the review expires instead of staying pending", async () => {
    const ch = await newChannel();
    const started = Date.now();
    const res = await hook(ch, bash("make deploy"), "&timeout=1");
    const took = Date.now() - started;
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "deny", message: "No answer from a person within 1 s" } },
    });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    const [message] = await messagesOf(ch);
    expect(message.review.status).toBe("expired");
    expect((await owner.as("GET", `/api/reviews?status=pending&channel=${ch}`)).json.data).toEqual([]);
    // A late answer is refused: nothing is approved after the hook has answered.
    expect((await owner.as("POST", `/api/messages/${message.id}/respond`, { response: { selectedOption: "allow" } })).status).toBe(410);
  });

  it("a withdrawn review (retracted by the agent) answers deny", async () => {
    const ch = await newChannel();
    const pending = hook(ch, bash("terraform apply"));
    const review = await pendingReview(ch);
    expect((await bot.v1("DELETE", `/messages/${review.id}?channel=${ch}`)).status).toBe(200);
    const res = await pending;
    expect(res.json.hookSpecificOutput.decision).toEqual({ behavior: "deny", message: expect.stringMatching(/withdrawn/) });
  });

  it("a Bash command shows as a sh block with its description; cwd and session in small print", async () => {
    const ch = await newChannel();
    const res = await hook(ch, bash("npm publish --access public", "Publish the package"), "&timeout=1");
    expect(res.json.hookSpecificOutput.decision.behavior).toBe("deny");
    const [message] = await messagesOf(ch);
    expect(message.text).toContain("Publish the package");
    expect(message.text).toContain("```sh\nnpm publish --access public\n```");
    expect(message.text).toMatch(/<small>.*`\/home\/user\/my-project`.*session `abc123`.*<\/small>/);
  });

  it("an Edit shows as a diff, a MultiEdit as one hunk per edit, a Write as its new content, anything else as JSON", async () => {
    const ch = await newChannel();
    const edit = permissionRequest("Edit", {
      file_path: "/home/user/my-project/src/app.ts",
      old_string: "const port = 3000;\nlisten(port);",
      new_string: "const port = Number(process.env.PORT ?? 3000);\nlisten(port);",
    });
    const multi = permissionRequest("MultiEdit", {
      file_path: "/home/user/my-project/README.md",
      edits: [
        { old_string: "v1", new_string: "v2", replace_all: true },
        { old_string: "old line", new_string: "new line" },
      ],
    });
    const write = permissionRequest("Write", { file_path: "/home/user/my-project/.env.example", content: "PORT=3000\nDEBUG=false" });
    const fetchTool = permissionRequest("WebFetch", { url: "https://example.com/docs", prompt: "Summarise" });
    for (const body of [edit, multi, write, fetchTool]) expect((await hook(ch, body, "&timeout=1")).json.hookSpecificOutput.decision.behavior).toBe("deny");
    const [e, m, w, f] = await messagesOf(ch);
    expect(e.text).toContain("`/home/user/my-project/src/app.ts`");
    expect(e.text).toContain(
      [
        "```diff",
        "--- /home/user/my-project/src/app.ts",
        "+++ /home/user/my-project/src/app.ts",
        "-const port = 3000;",
        "-listen(port);",
        "+const port = Number(process.env.PORT ?? 3000);",
        "+listen(port);",
        "```",
      ].join("\n"),
    );
    expect(m.text).toContain("(2 edits)");
    expect(m.text).toContain("@@ edit 1 of 2, every occurrence @@\n-v1\n+v2\n@@ edit 2 of 2 @@\n-old line\n+new line\n```");
    expect(w.text).toContain("```diff\n--- /dev/null\n+++ /home/user/my-project/.env.example\n+PORT=3000\n+DEBUG=false\n```");
    expect(f.text).toContain("`WebFetch`");
    expect(f.text).toContain(`\`\`\`json\n${JSON.stringify({ url: "https://example.com/docs", prompt: "Summarise" }, null, 2)}\n\`\`\``);
    expect(f.metadata.tool_name).toBe("WebFetch");
  });

  it("a command holding a code fence cannot end its block early", async () => {
    const ch = await newChannel();
    const command = "cat <<'EOF' > notes.md\n```js\nx()\n```\nEOF";
    await hook(ch, bash(command), "&timeout=1");
    const [message] = await messagesOf(ch);
    expect(message.text).toContain(`\`\`\`\`sh\n${command}\n\`\`\`\``);
  });

  it("unknown extra fields are kept out of the way; the same tool_use_id asked twice is one review", async () => {
    const ch = await newChannel();
    const body = permissionRequest("Bash", { command: "ls" }, { tool_use_id: "toolu_01ABC123", agent_id: "sub-1", some_future_field: { a: 1 } });
    const first = hook(ch, body);
    const review = await pendingReview(ch);
    const second = hook(ch, body);
    await sleep(100);
    await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "allow" } });
    for (const res of await Promise.all([first, second])) expect(res.json.hookSpecificOutput.decision).toEqual({ behavior: "allow" });
    const messages = await messagesOf(ch);
    expect(messages).toHaveLength(1);
    expect(messages[0].metadata.tool_use_id).toBe("toolu_01ABC123");
  });

  it("rides out a restart of the channel's room while it waits", async () => {
    const ch = await newChannel();
    const pending = hook(ch, bash("npm run migrate"));
    const review = await pendingReview(ch);
    await sleep(100); // parked in the room
    const room = env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(ch));
    await runInDurableObject(room, (_room, state) => state.abort("restart")).catch(() => undefined);
    await sleep(100);
    await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "allow" } });
    const res = await pending;
    expect(res.status, res.text).toBe(200);
    expect(res.json.hookSpecificOutput.decision).toEqual({ behavior: "allow" });
  });

  it("a very large input is cut to fit a message, with what was left out counted", async () => {
    const ch = await newChannel();
    const content = "x".repeat(100_000);
    const res = await hook(ch, permissionRequest("Write", { file_path: "/home/user/my-project/big.txt", content }), "&timeout=1");
    expect(res.status, res.text).toBe(200);
    const [message] = await messagesOf(ch);
    expect(message.text.length).toBeLessThanOrEqual(32_000);
    expect(message.text).toContain("(88000 more characters not shown)");
    expect(message.text).toMatch(/\n```\n\n<small>/);
  });

  it("caps the timeout at 280 s", async () => {
    const ch = await newChannel();
    const started = Date.now();
    const pending = hook(ch, bash("sleep 1"), "&timeout=100000");
    const review = await pendingReview(ch);
    const life = Date.parse(review.review.expiresAt) - started;
    expect(life).toBeGreaterThan(279_000);
    expect(life).toBeLessThan(282_000);
    await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "allow" } });
    expect((await pending).json.hookSpecificOutput.decision.behavior).toBe("allow");
  });
});

describe("PreToolUse", () => {
  it("asks the same way and answers with permissionDecision", async () => {
    const ch = await newChannel();
    const body = { ...common, hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "git status" }, tool_use_id: "toolu_pre" };
    const pending = hook(ch, body);
    const review = await pendingReview(ch);
    expect(review.metadata.hook_event_name).toBe("PreToolUse");
    await owner.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "allow" } });
    expect((await pending).json).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", permissionDecisionReason: "Allowed by a person in Nod" },
    });
    const timedOut = await hook(ch, { ...body, tool_use_id: "toolu_pre_2" }, "&timeout=1");
    expect(timedOut.json).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: "No answer from a person within 1 s" },
    });
  });
});

describe("other events", () => {
  it("Notification and Stop become plain messages, answered with {} at once", async () => {
    const ch = await newChannel();
    const notification = await hook(ch, {
      ...common,
      hook_event_name: "Notification",
      message: "Claude needs your permission to use Bash",
      title: "Permission needed",
      notification_type: "permission_prompt",
    });
    expect(notification.status, notification.text).toBe(200);
    expect(notification.json).toEqual({});
    const stop = await hook(ch, { ...common, hook_event_name: "Stop", stop_hook_active: false, last_assistant_message: "Done." });
    expect(stop.status).toBe(200);
    expect(stop.json).toEqual({});
    const session = await hook(ch, { ...common, hook_event_name: "SessionStart", source: "startup", model: "claude-sonnet-4-5" });
    expect(session.json).toEqual({});
    const [n, s, other] = await messagesOf(ch);
    expect(n.review).toBeNull();
    expect(n.text).toMatch(/^\*\*Permission needed\*\*\n\nClaude needs your permission to use Bash/);
    expect(n.metadata).toMatchObject({ source: "claude-code", hook_event_name: "Notification", notification_type: "permission_prompt", session_id: "abc123" });
    expect(s.review).toBeNull();
    expect(s.text).toMatch(/^Claude Code stopped \(session `abc123`\)/);
    expect(other.text).toMatch(/^Claude Code: SessionStart \(session `abc123`\)/);
  });
});

describe("refusals", () => {
  /** Every message, so a refusal can be shown to store nothing anywhere. */
  const allMessages = async () => JSON.stringify((await env.DB.prepare("SELECT id FROM messages ORDER BY id").all()).results);

  it("a bad body is a 400 listing every problem, and nothing is stored", async () => {
    const ch = await newChannel();
    const before = await allMessages();
    expectError(await hook(ch, { ...common, tool_name: "Bash", tool_input: { command: "ls" } }), 400, ["hook_event_name"]);
    const missing = await hook(ch, { ...common, hook_event_name: "PermissionRequest" });
    expectError(missing, 400, ["tool_name", "tool_input"]);
    const wrong = await hook(ch, { cwd: 5, hook_event_name: "PermissionRequest", tool_name: "Bash", tool_input: "ls -la" });
    expectError(wrong, 400, ["session_id", "cwd", "tool_input"]);
    const both = await hook(ch, { ...common, session_id: 7, hook_event_name: "PreToolUse", tool_input: [] });
    expect(pathsOf(both).sort()).toEqual(["session_id", "tool_input", "tool_name"]);
    expectError(await hook(ch, ["not", "an", "object"]), 400);
    const malformed = await call("POST", `/api/v1/hooks/claude-code?channel=${ch}`, {
      raw: '{"hook_event_name": "Stop",',
      headers: { "x-api-key": bot.apiKey, "content-type": "application/json" },
    });
    expectError(malformed, 400);
    const plain = await call("POST", `/api/v1/hooks/claude-code?channel=${ch}`, {
      raw: JSON.stringify(bash()),
      headers: { "x-api-key": bot.apiKey, "content-type": "text/plain" },
    });
    expectError(plain, 415);
    expectError(await hook(ch, bash(), "&timeout=0"), 400, ["query.timeout"]);
    expectError(await hook(ch, bash(), "&timeout=soon"), 400, ["query.timeout"]);
    expect(await allMessages()).toBe(before);
  });

  it("a missing or bad key is 401", async () => {
    const ch = await newChannel();
    expectError(await hook(ch, bash(), "", {}), 401);
    expectError(await hook(ch, bash(), "", { "x-api-key": "hp_not-a-real-key-at-all" }), 401);
    expectError(await hook(ch, bash(), "", { authorization: `Bearer ${bot.apiKey.slice(0, -1)}` }), 401);
    expect(await messagesOf(ch)).toEqual([]);
  });

  it("a channel that is not the key's is 404", async () => {
    const mine = await newChannel("Scoped");
    const other = await newChannel("Other");
    const scoped = await owner.as("POST", "/api/api-keys", { label: "only one", agentIds: [mine] });
    expect(scoped.status, scoped.text).toBe(201);
    const headers = { "x-api-key": scoped.json.key };
    expectError(await hook(other, bash(), "&timeout=1", headers), 404);
    expectError(await hook("no-such-agent", bash(), "&timeout=1", headers), 404);
    expectError(await hook("no-such-agent", { ...common, hook_event_name: "Stop" }), 404);
    expect(await messagesOf(other)).toEqual([]);
    // The scoped key's own channel works without naming it.
    const own = await call("POST", "/api/v1/hooks/claude-code", { body: { ...common, hook_event_name: "Stop" }, headers });
    expect(own.status, own.text).toBe(200);
    expect(await keyClient(scoped.json.key)("GET", "/messages").then((r) => r.json.data.length)).toBe(1);
  });
});
