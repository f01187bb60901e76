// Every shape of the review table (docs/api.md), broken: each gets a 400 that names every problem, and
// nothing is stored.
import { beforeAll, describe, expect, it } from "vitest";
import { agentWithKey, call, setupOwner, type Person } from "./helpers";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

const opts = [{ id: "a", label: "A" }];
const field = (extra: Record<string, unknown>) => ({ name: "f", type: "text", label: "F", ...extra });

/** [what is wrong, body, paths that must be listed] */
const badBodies: [string, Record<string, unknown>, string[]][] = [
  ["empty message", {}, ["(root)"]],
  ["text not a string", { text: 42 }, ["text"]],
  ["unknown status", { text: "x", status: "fatal" }, ["status"]],
  ["unknown top-level field", { text: "x", reveiw: {} }, ["(root)"]],
  ["metadata not an object", { text: "x", metadata: [1, 2] }, ["metadata"]],
  ["metadata too large", { text: "x", metadata: { blob: "x".repeat(20_000) } }, ["metadata"]],
  ["text too long", { text: "x".repeat(40_000) }, ["text"]],
  ["webhookUrl not http(s)", { text: "x", webhookUrl: "ftp://example.com/hook" }, ["webhookUrl"]],
  ["attachmentIds not an array", { text: "x", attachmentIds: "abc" }, ["attachmentIds"]],
  ["unknown review type", { review: { type: "vote", payload: {} } }, ["review.type"]],
  ["review without payload", { review: { type: "approval" } }, ["review.payload"]],
  ["approval without options", { review: { type: "approval", payload: {} } }, ["review.payload.options"]],
  ["approval with no options", { review: { type: "approval", payload: { options: [] } } }, ["review.payload.options"]],
  [
    "approval option without id and label",
    { review: { type: "approval", payload: { options: [{}] } } },
    ["review.payload.options.0.id", "review.payload.options.0.label"],
  ],
  [
    "approval option bad style",
    { review: { type: "approval", payload: { options: [{ id: "a", label: "A", style: "loud" }] } } },
    ["review.payload.options.0.style"],
  ],
  ["approval duplicate option ids", { review: { type: "approval", payload: { options: [...opts, ...opts] } } }, ["review.payload.options.1"]],
  ["approval allowComment not boolean", { review: { type: "approval", payload: { options: opts, allowComment: "yes" } } }, ["review.payload.allowComment"]],
  ["selection bad mode", { review: { type: "selection", payload: { mode: "many", items: opts } } }, ["review.payload.mode"]],
  ["selection without items", { review: { type: "selection", payload: { mode: "single" } } }, ["review.payload.items"]],
  ["selection item without label", { review: { type: "selection", payload: { items: [{ id: "a" }] } } }, ["review.payload.items.0.label"]],
  ["form without fields", { review: { type: "form", payload: {} } }, ["review.payload.fields"]],
  ["form field unknown type", { review: { type: "form", payload: { fields: [field({ type: "color" })] } } }, ["review.payload.fields.0.type"]],
  [
    "form field without name and label",
    { review: { type: "form", payload: { fields: [{ type: "text" }] } } },
    ["review.payload.fields.0.name", "review.payload.fields.0.label"],
  ],
  ["form select without options", { review: { type: "form", payload: { fields: [field({ type: "select" })] } } }, ["review.payload.fields.0.options"]],
  ["form min above max", { review: { type: "form", payload: { fields: [field({ type: "number", min: 5, max: 1 })] } } }, ["review.payload.fields.0.min"]],
  ["form duplicate field names", { review: { type: "form", payload: { fields: [field({}), field({})] } } }, ["review.payload.fields.1"]],
  ["text-input minLength above maxLength", { review: { type: "text-input", payload: { minLength: 10, maxLength: 5 } } }, ["review.payload.minLength"]],
  ["text-input negative minLength", { review: { type: "text-input", payload: { minLength: -1 } } }, ["review.payload.minLength"]],
  ["freeform payload not an object", { review: { type: "freeform", payload: "hi" } }, ["review.payload"]],
  ["expiresInSeconds not positive", { review: { type: "freeform", payload: {}, expiresInSeconds: 0 } }, ["review.expiresInSeconds"]],
  ["expiresAt not a date", { review: { type: "freeform", payload: {}, expiresAt: "tomorrow" } }, ["review.expiresAt"]],
  ["expiresAt in the past", { review: { type: "freeform", payload: {}, expiresAt: "2001-01-01T00:00:00Z" } }, ["review.expiresAt"]],
  ["callback without url", { review: { type: "freeform", payload: {}, callback: { method: "POST" } } }, ["review.callback.url"]],
  ["callback bad method", { review: { type: "freeform", payload: {}, callback: { url: "https://example.com/h", method: "GET" } } }, ["review.callback.method"]],
  [
    "several problems at once",
    { text: 1, status: "nope", review: { type: "approval", payload: { options: [{ id: "" }] } } },
    ["text", "status", "review.payload.options.0.id", "review.payload.options.0.label"],
  ],
];

describe("POST /api/v1/messages with bad bodies", () => {
  it.each(badBodies)("%s → 400 listing its problems, nothing stored", async (_what, body, paths) => {
    const before = await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=100`);
    const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, ...body });
    expect(res.status).toBe(400);
    expect(res.json.statusCode).toBe(400);
    expect(typeof res.json.message).toBe("string");
    const listed = res.json.errors.map((e: { path: string }) => e.path);
    for (const path of paths) expect(listed).toContain(path);
    for (const e of res.json.errors) expect(e.message).toBeTruthy();
    const after = await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=100`);
    expect(after.json.data).toEqual(before.json.data);
  });

  it("malformed JSON is a 400 and a non-JSON content type a 415", async () => {
    const malformed = await call("POST", "/api/v1/messages", { raw: "{not json", headers: { "x-api-key": bot.apiKey, "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(malformed.json.statusCode).toBe(400);
    const form = await call("POST", "/api/v1/messages", {
      raw: "text=hi",
      headers: { "x-api-key": bot.apiKey, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const empty = await call("POST", "/api/v1/messages", { raw: "", headers: { "x-api-key": bot.apiKey, "content-type": "application/json" } });
    expect(empty.status).toBe(400);
  });

  it("the same review shapes, well formed, are accepted", async () => {
    const good = [
      { type: "approval", payload: { options: opts, allowComment: true } },
      { type: "selection", payload: { mode: "multi", items: opts } },
      { type: "form", payload: { fields: [field({ required: true })], submitLabel: "Go" } },
      { type: "text-input", payload: { minLength: 1, maxLength: 10, markdown: true } },
      { type: "freeform", payload: {} },
    ];
    for (const review of good) {
      const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: review.type, review });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      expect(res.json.review).toMatchObject({ type: review.type, status: "pending", response: null });
    }
  });

  it("expiry: default 24 h, expiresAt capped at 36 h, expiresInSeconds wins", async () => {
    const post = (review: Record<string, unknown>) =>
      bot.v1("POST", "/messages", { channelId: bot.agent.id, review: { type: "freeform", payload: {}, ...review } });
    const hours = (iso: string) => (Date.parse(iso) - Date.now()) / 3_600_000;
    expect(hours((await post({})).json.review.expiresAt)).toBeCloseTo(24, 1);
    const far = new Date(Date.now() + 72 * 3_600_000).toISOString();
    expect(hours((await post({ expiresAt: far })).json.review.expiresAt)).toBeCloseTo(36, 1);
    expect(hours((await post({ expiresAt: far, expiresInSeconds: 3600 })).json.review.expiresAt)).toBeCloseTo(1, 1);
  });
});
