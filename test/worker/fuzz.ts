// Property-based fuzzing of every JSON route (fast-check, seeded): generated bad bodies — wrong types
// for each field, missing and extra fields, huge strings, deep nesting, invalid UTF-8, wrong content
// types, empty bodies — never get a 5xx, always get the error shape, and a rejected request stores
// nothing. Set FUZZ_SEED to replay another run; the seed in use is printed.
//
// The routes are fuzzed by three test files (fuzz-1, fuzz-2, fuzz-3), each with a third of them: a
// request costs more the more requests one workerd isolate has served, so fresh isolates on the pool
// workers finish in a fraction of one file's time.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS_PER_ROUTE = 60;

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;
let reviewId: string;
let memberId: string;
let fileId: string;
let notificationChannelId: string;
const STREAM_ID = "fuzz-stream";

/** Everything a request could change, as text (counters and "last used" stamps left out). */
async function snapshot(): Promise<string> {
  const queries = [
    "SELECT id, email, display_name, role, password_hash, preferences FROM users ORDER BY id",
    "SELECT id, label, key_hash, agent_ids FROM api_keys ORDER BY id",
    "SELECT * FROM agents ORDER BY id",
    "SELECT * FROM messages ORDER BY id",
    "SELECT * FROM attachments ORDER BY id",
    "SELECT agent_id, status, message FROM agent_status_history ORDER BY id",
    "SELECT * FROM push_subscriptions ORDER BY id",
    "SELECT * FROM channel_reads ORDER BY user_id, agent_id",
    "SELECT token_hash, attachment_id, expires_at FROM file_shares ORDER BY token_hash",
    "SELECT id, user_id, kind, name, url, token, secret, enabled FROM notification_channels ORDER BY id",
    "SELECT * FROM notify_levels ORDER BY user_id, agent_id",
  ];
  const results = await env.DB.batch(queries.map((q) => env.DB.prepare(q)));
  return JSON.stringify(results.map((r) => r.results));
}

type Auth = "key" | "cookie" | "none";
interface Route {
  method: string;
  path: () => string;
  auth: Auth;
  /** A valid body, whose fields the generator breaks. */
  valid: () => Record<string, unknown>;
}

const routes: Route[] = [
  {
    method: "POST",
    path: () => "/api/v1/messages",
    auth: "key",
    valid: () => ({ channelId: bot.agent.id, text: "hi", status: "info", review: approval, metadata: { a: 1 }, attachmentIds: [] }),
  },
  {
    method: "POST",
    path: () => "/api/v1/agents",
    auth: "key",
    valid: () => ({ name: "A", description: "d", avatarUrl: "https://example.com/a.png", webhookUrl: "https://example.com/h" }),
  },
  { method: "PATCH", path: () => `/api/v1/agents/${bot.agent.id}`, auth: "key", valid: () => ({ name: "Deploy bot", description: "d" }) },
  { method: "POST", path: () => "/api/v1/status/ping", auth: "key", valid: () => ({ agentId: bot.agent.id, status: "active", message: "ok" }) },
  { method: "POST", path: () => "/api/auth/setup", auth: "none", valid: () => ({ email: "x@example.com", password: "long enough", displayName: "X" }) },
  { method: "POST", path: () => "/api/auth/login", auth: "none", valid: () => ({ email: "nobody@example.com", password: "whatever" }) },
  {
    method: "POST",
    path: () => "/api/auth/change-password",
    auth: "cookie",
    valid: () => ({ currentPassword: "wrong one", newPassword: "new long password" }),
  },
  { method: "POST", path: () => "/api/api-keys", auth: "cookie", valid: () => ({ label: "k", agentIds: [bot.agent.id] }) },
  { method: "POST", path: () => "/api/agents", auth: "cookie", valid: () => ({ name: "B", webhookUrl: null }) },
  { method: "PATCH", path: () => `/api/agents/${bot.agent.id}`, auth: "cookie", valid: () => ({ description: "desc" }) },
  { method: "POST", path: () => `/api/agents/${bot.agent.id}/read`, auth: "cookie", valid: () => ({ seq: 1 }) },
  { method: "POST", path: () => "/api/messages", auth: "cookie", valid: () => ({ channelId: bot.agent.id, text: "hello agent" }) },
  {
    method: "POST",
    path: () => `/api/messages/${reviewId}/respond`,
    auth: "cookie",
    valid: () => ({ response: { selectedOption: "approve", comment: "ok" } }),
  },
  {
    method: "PATCH",
    path: () => "/api/preferences",
    auth: "cookie",
    valid: () => ({ theme: "dark", inlineHtml: true, push: false, quietHours: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" } }),
  },
  {
    method: "POST",
    path: () => "/api/push/subscribe",
    auth: "cookie",
    valid: () => ({ endpoint: "https://push.example.com/x", keys: { p256dh: "p", auth: "a" } }),
  },
  { method: "DELETE", path: () => "/api/push/subscribe", auth: "cookie", valid: () => ({ endpoint: "https://push.example.com/x" }) },
  {
    method: "POST",
    path: () => "/api/users",
    auth: "cookie",
    valid: () => ({ email: "new@example.com", password: "long enough", displayName: "N", role: "member" }),
  },
  { method: "PATCH", path: () => `/api/users/${memberId}`, auth: "cookie", valid: () => ({ displayName: "M2" }) },
  // Placet parity and conversational agents.
  { method: "POST", path: () => "/api/v1/agents/setTag", auth: "key", valid: () => ({ channelId: bot.agent.id, tag: "ops" }) },
  {
    method: "POST",
    path: () => "/api/v1/agents/setWebhook",
    auth: "key",
    valid: () => ({ channelId: bot.agent.id, url: "https://example.com/hook", headers: { "X-Token": "t" }, auth: { username: "u", password: "p" } }),
  },
  { method: "POST", path: () => "/api/v1/agents/deleteWebhook", auth: "key", valid: () => ({ channelId: bot.agent.id }) },
  {
    method: "POST",
    path: () => "/api/v1/files/store-text",
    auth: "key",
    valid: () => ({ channelId: bot.agent.id, content: "# notes", filename: "notes.md", mimeType: "text/markdown" }),
  },
  { method: "PATCH", path: () => `/api/v1/messages/streams/${STREAM_ID}`, auth: "key", valid: () => ({ channelId: bot.agent.id, text: "so far" }) },
  { method: "POST", path: () => `/api/files/${fileId}/share`, auth: "cookie", valid: () => ({ expiresInSeconds: 600 }) },
  // Notification channels and levels.
  {
    method: "POST",
    path: () => "/api/notifications/channels",
    auth: "cookie",
    valid: () => ({ kind: "ntfy", name: "Phone", url: "https://ntfy.example.com/alerts", token: "tk_abc", enabled: true }),
  },
  {
    method: "PATCH",
    path: () => `/api/notifications/channels/${notificationChannelId}`,
    auth: "cookie",
    valid: () => ({ name: "Phone", url: "https://ntfy.example.com/alerts", token: null, enabled: false }),
  },
  { method: "PUT", path: () => `/api/notifications/agents/${bot.agent.id}`, auth: "cookie", valid: () => ({ level: "reviews" }) },
  // Claude Code's permission hook: an accepted case posts a review and waits the 1 s timeout (a fixed tool_use_id
  // makes later accepted cases the same review, answered at once).
  {
    method: "POST",
    path: () => `/api/v1/hooks/claude-code?channel=${bot.agent.id}&timeout=1`,
    auth: "key",
    valid: () => ({
      session_id: "fuzz-session",
      transcript_path: "/tmp/fuzz.jsonl",
      cwd: "/tmp/project",
      permission_mode: "default",
      hook_event_name: "PermissionRequest",
      tool_name: "Bash",
      tool_input: { command: "ls -la", description: "List files" },
      tool_use_id: "toolu_fuzz",
    }),
  },
];

/** A body that is wrong in one or more generated ways, with the content type it is sent with. */
interface BadRequest {
  kind: string;
  body: BodyInit | undefined;
  contentType: string | undefined;
}

const HUGE = "x".repeat(300_000);
const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const json = (value: unknown): BadRequest => ({ kind: "json", body: JSON.stringify(value), contentType: "application/json" });
const notThisType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

function badRequests(valid: Record<string, unknown>): fc.Arbitrary<BadRequest> {
  const keys = Object.keys(valid);
  const wrongType = fc
    .record({ key: fc.constantFrom(...keys), value: notThisType })
    .map(({ key, value }) => ({ ...json({ ...valid, [key]: value }), kind: `wrong type for ${key}` }));
  const missing = fc
    .subarray(keys, { minLength: 1 })
    .map((drop) => ({ ...json(Object.fromEntries(Object.entries(valid).filter(([k]) => !drop.includes(k)))), kind: `missing ${drop.join(",")}` }));
  const extra = fc
    .record({ key: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !keys.includes(k) && k !== "__proto__"), value: fc.jsonValue({ maxDepth: 2 }) })
    .map(({ key, value }) => ({ ...json({ ...valid, [key]: value }), kind: `extra field` }));
  const hugeString = fc.constantFrom(...keys).map((key) => ({ ...json({ ...valid, [key]: HUGE }), kind: `huge string in ${key}` }));
  const nested = fc
    .integer({ min: 200, max: 5000 })
    .map((depth) => ({ kind: `nesting ${depth}`, body: `{"${keys[0]}":${deep(depth)}}`, contentType: "application/json" }));
  const anyJson = fc.jsonValue({ maxDepth: 4 }).map((value) => ({ ...json(value), kind: "arbitrary JSON" }));
  const badUtf8 = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({
    kind: "invalid UTF-8",
    body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, ...bytes, 0xc3, 0x28, 0x22, 0x7d]),
    contentType: "application/json",
  }));
  const malformed = fc.string({ maxLength: 40 }).map((text) => ({ kind: "malformed JSON", body: `{${text}`, contentType: "application/json" }));
  const wrongContentType = fc
    .constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", undefined)
    .map((contentType) => ({
      kind: `content type ${contentType}`,
      body: JSON.stringify(valid),
      contentType,
    }));
  const empty = fc.constantFrom("application/json", undefined).map((contentType) => ({ kind: "empty body", body: undefined, contentType }));
  return fc.oneof(wrongType, wrongType, missing, extra, hugeString, nested, anyJson, badUtf8, malformed, wrongContentType, empty);
}

function headers(route: Route, contentType: string | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (contentType) h["content-type"] = contentType;
  if (route.auth === "key") h["x-api-key"] = bot.apiKey;
  if (route.auth === "cookie") {
    h.cookie = owner.cookie;
    h.origin = BASE; // as a browser sends it, so the CSRF check is not what answers
  }
  return h;
}

let cases = 0;
const byStatus: Record<number, number> = {};

/** Fuzzes the routes whose index in the table `pick` accepts, with an owner, agent and data of their own. */
export function fuzzRoutes(part: string, pick: (index: number) => boolean) {
  const selected = routes.filter((_, i) => pick(i));
  beforeAll(async () => {
    owner = await setupOwner();
    bot = await agentWithKey(owner);
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "fuzz me", review: approval });
    reviewId = posted.json.id;
    memberId = (await owner.as("POST", "/api/users", { email: "member@example.com", password: "member password", displayName: "M" })).json.id;
    fileId = (await bot.v1("POST", "/files/store-text", { channelId: bot.agent.id, content: "shared" })).json.id;
    await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId: STREAM_ID, streamState: "streaming", text: "draft" });
    const channel = await owner.as("POST", "/api/notifications/channels", { kind: "ntfy", url: "https://ntfy.example.com/fuzz" });
    notificationChannelId = channel.json.id;
  });

  describe(`fuzzing the JSON routes, ${part} (seed ${SEED})`, () => {
    it.each(
      selected.map(
        (r) =>
          [
            `${r.method} ${r.path
              .toString()
              .match(/`?"?(\/api[^"`]*)/)?.[1]
              ?.replace(/\$\{[^}]+\}/g, ":id")}`,
            r,
          ] as const,
      ),
    )(
      "%s: never a 5xx, always the error shape, nothing stored when rejected",
      async (_name, route) => {
        // The stored data before each case. A rejected case must leave it as it was, so the snapshot taken
        // after it is also the next case's "before"; only an accepted case needs a fresh one.
        let before = await snapshot();
        await fc.assert(
          fc.asyncProperty(badRequests(route.valid()), async (bad) => {
            const res = await call(route.method, route.path(), { raw: bad.body, headers: headers(route, bad.contentType) });
            cases++;
            byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
            expect(res.status, `${bad.kind}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
            const after = await snapshot();
            if (res.status >= 400) {
              expect(res.json, bad.kind).toMatchObject({ statusCode: res.status, message: expect.any(String), errors: expect.any(Array) });
              expect(after, `${bad.kind} changed stored data`).toBe(before);
            }
            before = after;
          }),
          { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
        );
      },
      60_000,
    );

    it(`ran ${RUNS_PER_ROUTE} cases on each of its routes`, () => {
      console.log(`fuzz ${part}: ${cases} cases over ${selected.length} routes, seed ${SEED}, statuses ${JSON.stringify(byStatus)}`);
      expect(cases).toBe(selected.length * RUNS_PER_ROUTE);
    });
  });
}

/** How many routes the table has (the three files split it). */
export const ROUTE_COUNT = routes.length;
