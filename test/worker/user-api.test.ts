// The user API (/api) route by route: first run, sign-in and the session, agents as their owner sees
// them, a person's messages, answering each review type, the inbox, preferences, push, users, and
// the error shape.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";
import { browser, expectError, ISO, login, pathsOf, raw, type Bot } from "./api-helpers";
import { sleep, sessionCookie, fromBase64url } from "../common";

const OWNER_EMAIL = "owner@example.com";
const OWNER_PASSWORD = "correct horse battery";

let neededBefore: unknown;
let owner: Person;
let bot: Bot;

beforeAll(async () => {
  neededBefore = (await call("GET", "/api/auth/setup")).json;
  owner = browser(await setupOwner(OWNER_EMAIL, OWNER_PASSWORD));
  bot = await agentWithKey(owner, "Main bot");
});

/** A member with a known password, signed in. */
async function member(password = "member password 1") {
  return browser(await addMember(owner, password));
}

async function postReview(b: Bot, review: Record<string, unknown>, text = "Please review") {
  const res = await b.v1("POST", "/messages", { channelId: b.agent.id, text, review });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; channelId: string; createdAt: string; review: { expiresAt: string } };
}

const ids = (res: { json: { data: { id: string }[] } }) => res.json.data.map((m) => m.id);

describe("auth", () => {
  it("setup: needed until the owner exists, then 409", async () => {
    expect(neededBefore).toEqual({ needed: true });
    expect((await call("GET", "/api/auth/setup")).json).toEqual({ needed: false });
    const again = await call("POST", "/api/auth/setup", { body: { email: "second@example.com", password: "another password", displayName: "Second" } });
    expectError(again, 409);
    expect(again.headers.get("set-cookie")).toBeNull();
    expectError(await call("POST", "/api/auth/login", { body: { email: "second@example.com", password: "another password" } }), 401);
  });

  it("login sets an HttpOnly, SameSite=Lax session cookie; wrong password and unknown email are 401", async () => {
    const ok = await call("POST", "/api/auth/login", { body: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ id: owner.id, email: OWNER_EMAIL, displayName: "Owner", role: "owner" });
    expect(ok.json).not.toHaveProperty("passwordHash");
    const cookie = ok.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/access_token=[^;]+/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    const me = await call("GET", "/api/auth/me", { headers: { cookie: sessionCookie(ok) } });
    expect(me.json.id).toBe(owner.id);

    const wrong = await call("POST", "/api/auth/login", { body: { email: OWNER_EMAIL, password: "wrong password" } });
    expectError(wrong, 401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const unknown = await call("POST", "/api/auth/login", { body: { email: "nobody@example.com", password: OWNER_PASSWORD } });
    expectError(unknown, 401);
    expect(unknown.json.message).toBe(wrong.json.message); // no hint which one was wrong
    expectError(await call("POST", "/api/auth/login", { body: { email: OWNER_EMAIL } }), 400, ["password"]);
  });

  it("the session cookie is Secure over https, not over plain http (local dev)", async () => {
    const body = JSON.stringify({ email: OWNER_EMAIL, password: OWNER_PASSWORD });
    const http = await raw("POST", "/api/auth/login", { "content-type": "application/json" }, body);
    expect(http.status).toBe(200);
    expect(http.headers.get("set-cookie") ?? "").not.toMatch(/;\s*Secure/i);
    const https = await exports.default.fetch(
      new Request(`${BASE.replace("http:", "https:")}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body }),
    );
    expect(https.status).toBe(200);
    expect(https.headers.get("set-cookie") ?? "").toMatch(/;\s*Secure/i);
  });

  it("me: the signed-in person; 401 without a valid session", async () => {
    const me = await owner.as("GET", "/api/auth/me");
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ id: owner.id, email: OWNER_EMAIL, displayName: "Owner", role: "owner", createdAt: expect.stringMatching(ISO) });
    expectError(await call("GET", "/api/auth/me"), 401);
    expectError(await call("GET", "/api/auth/me", { headers: { cookie: "access_token=forged-token" } }), 401);
  });

  it("logout ends that session only: its cookie stops working", async () => {
    const m = await member("logout password");
    const second = await login(m.id, m.email, "logout password");
    const out = await m.as("POST", "/api/auth/logout");
    expect(out.status, out.text).toBe(200);
    expect(out.headers.get("set-cookie") ?? "").toMatch(/access_token=;|Max-Age=0|expires=Thu, 01 Jan 1970/i);
    expectError(await m.as("GET", "/api/auth/me"), 401);
    expectError(await m.as("GET", "/api/agents"), 401);
    expect((await second.as("GET", "/api/auth/me")).status).toBe(200);
  });

  it("change-password: wrong current is 400; other sessions end; the new password signs in", async () => {
    const m = await member("first password");
    const other = await login(m.id, m.email, "first password");
    expectError(await m.as("POST", "/api/auth/change-password", { currentPassword: "not it", newPassword: "second password" }), 400, ["currentPassword"]);
    expect((await other.as("GET", "/api/auth/me")).status).toBe(200); // nothing changed
    expectError(await m.as("POST", "/api/auth/change-password", { currentPassword: "first password", newPassword: "short" }), 400, ["newPassword"]);

    const changed = await m.as("POST", "/api/auth/change-password", { currentPassword: "first password", newPassword: "second password" });
    expect(changed.status, changed.text).toBe(200);
    expect((await m.as("GET", "/api/auth/me")).status).toBe(200); // this session stays
    expectError(await other.as("GET", "/api/auth/me"), 401);
    expectError(await call("POST", "/api/auth/login", { body: { email: m.email, password: "first password" } }), 401);
    expect((await call("POST", "/api/auth/login", { body: { email: m.email, password: "second password" } })).status).toBe(200);
    expectError(await call("POST", "/api/auth/change-password", { body: { currentPassword: "second password", newPassword: "third password" } }), 401);
  });

  it("ws-ticket returns a signed ticket; 401 without a session", async () => {
    const res = await owner.as("POST", "/api/auth/ws-ticket");
    expect(res.status, res.text).toBe(200);
    expect(res.json.ticket).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const m = await member();
    const theirs = await m.as("POST", "/api/auth/ws-ticket");
    expect(theirs.json.ticket).toEqual(expect.any(String));
    expect(theirs.json.ticket).not.toBe(res.json.ticket);
    expectError(await call("POST", "/api/auth/ws-ticket", { headers: { origin: BASE } }), 401);
  });
});

describe("agents (user API)", () => {
  it("create, get (with webhookSecret), patch, rotate-webhook-secret", async () => {
    const created = await owner.as("POST", "/api/agents", { name: "Reviewer", description: "Reviews PRs" });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ name: "Reviewer", description: "Reviews PRs", status: "offline" });
    expect(created.json.webhookSecret).toMatch(/^whsec_/);
    const id = created.json.id;

    const got = await owner.as("GET", `/api/agents/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created.json);

    const patched = await owner.as("PATCH", `/api/agents/${id}`, { name: "Code reviewer", avatarUrl: "https://example.com/r.png" });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id, name: "Code reviewer", avatarUrl: "https://example.com/r.png", webhookSecret: created.json.webhookSecret });
    expectError(await owner.as("PATCH", `/api/agents/${id}`, {}), 400);
    expectError(await owner.as("PATCH", `/api/agents/${id}`, { webhookUrl: "gopher://x" }), 400, ["webhookUrl"]);

    const rotated = await owner.as("POST", `/api/agents/${id}/rotate-webhook-secret`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.webhookSecret).toMatch(/^whsec_/);
    expect(rotated.json.webhookSecret).not.toBe(created.json.webhookSecret);
    expect((await owner.as("GET", `/api/agents/${id}`)).json.webhookSecret).toBe(rotated.json.webhookSecret);

    expectError(await owner.as("GET", "/api/agents/no-such-agent"), 404);
    expectError(await owner.as("POST", "/api/agents", { name: "" }), 400, ["name"]);
    expectError(await call("GET", "/api/agents"), 401);
  });

  it("list has unreadCount; POST /:id/read resets it", async () => {
    const m = await member();
    const mBot = await agentWithKey(m, "Chatty");
    for (const text of ["one", "two", "three"]) expect((await mBot.v1("POST", "/messages", { text })).status).toBe(201);
    expect((await m.as("POST", "/api/messages", { channelId: mBot.agent.id, text: "my own words" })).status).toBe(201);

    const unread = async () => (await m.as("GET", "/api/agents")).json.data.find((a: { id: string }) => a.id === mBot.agent.id).unreadCount;
    const list = await m.as("GET", "/api/agents");
    expect(list.status).toBe(200);
    expect(list.json.data).toHaveLength(1);
    expect(list.json.data[0]).toMatchObject({ id: mBot.agent.id, name: "Chatty", webhookSecret: expect.stringMatching(/^whsec_/) });
    expect(await unread()).toBe(3);

    const read = await m.as("POST", `/api/agents/${mBot.agent.id}/read`, {});
    expect(read.status, read.text).toBe(200);
    expect(read.json).toEqual({ agentId: mBot.agent.id, lastReadSeq: 4 });
    expect(await unread()).toBe(0);

    await mBot.v1("POST", "/messages", { text: "four" });
    await mBot.v1("POST", "/messages", { text: "five" });
    expect(await unread()).toBe(2);
    expect((await m.as("POST", `/api/agents/${mBot.agent.id}/read`, { seq: 5 })).json.lastReadSeq).toBe(5);
    expect(await unread()).toBe(1);
    expectError(await m.as("POST", `/api/agents/${mBot.agent.id}/read`, { seq: -1 }), 400, ["seq"]);
  });

  it("POST /:id/read without a body marks everything read (the API documents no body)", async () => {
    const m = await member();
    const mBot = await agentWithKey(m, "Unread");
    await mBot.v1("POST", "/messages", { text: "one" });
    await mBot.v1("POST", "/messages", { text: "two" });
    const read = await m.as("POST", `/api/agents/${mBot.agent.id}/read`);
    expect(read.status, read.text).toBe(200);
    expect(read.json).toEqual({ agentId: mBot.agent.id, lastReadSeq: 2 });
    expect((await m.as("GET", "/api/agents")).json.data[0].unreadCount).toBe(0);
  });

  it("stats count sent, received, answered, expired, pending", async () => {
    const m = await member();
    const mBot = await agentWithKey(m, "Counted");
    await mBot.v1("POST", "/messages", { text: "plain 1" });
    await mBot.v1("POST", "/messages", { text: "plain 2", status: "info" });
    await m.as("POST", "/api/messages", { channelId: mBot.agent.id, text: "from the person" });
    const answered = await postReview(mBot, approval);
    expect((await m.as("POST", `/api/messages/${answered.id}/respond`, { response: { selectedOption: "approve" } })).status).toBe(200);
    const expiring = await postReview(mBot, { ...approval, expiresInSeconds: 1 });
    await postReview(mBot, approval); // stays pending
    const waited = await mBot.v1("GET", `/reviews/${expiring.id}/wait?timeout=10000`);
    expect(waited.json.status).toBe("expired");

    const stats = await m.as("GET", `/api/agents/${mBot.agent.id}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.json).toMatchObject({ agentId: mBot.agent.id, sent: 5, received: 1, reviews: 3, pending: 1, answered: 1, expired: 1, webhookFailures: 0 });
    expectError(await m.as("GET", "/api/agents/no-such-agent/stats"), 404);
  });

  it("status-history lists the pings newest first", async () => {
    await bot.v1("POST", "/status/ping", { agentId: bot.agent.id, status: "active", message: "up" });
    await sleep(5);
    await bot.v1("POST", "/status/ping", { agentId: bot.agent.id, status: "error", message: "disk full" });
    const res = await owner.as("GET", `/api/agents/${bot.agent.id}/status-history`);
    expect(res.status).toBe(200);
    expect(res.json.data.slice(0, 2)).toEqual([
      { status: "error", message: "disk full", createdAt: expect.stringMatching(ISO) },
      { status: "active", message: "up", createdAt: expect.stringMatching(ISO) },
    ]);
    expectError(await owner.as("GET", `/api/agents/${bot.agent.id}/status-history?limit=0`), 400, ["query.limit"]);
  });

  it("delete removes the agent, its messages and its reviews", async () => {
    const m = await member();
    const mBot = await agentWithKey(m, "Short-lived");
    const review = await postReview(mBot, approval);
    const res = await m.as("DELETE", `/api/agents/${mBot.agent.id}`);
    expect(res.status, res.text).toBe(200);
    expectError(await m.as("GET", `/api/agents/${mBot.agent.id}`), 404);
    expect((await m.as("GET", "/api/agents")).json.data).toEqual([]);
    expectError(await m.as("GET", `/api/messages?channel=${mBot.agent.id}`), 404);
    expect((await m.as("GET", "/api/reviews?status=all")).json.data).toEqual([]);
    expectError(await m.as("POST", `/api/messages/${review.id}/respond`, { response: { selectedOption: "approve" } }), 404);
    expectError(await mBot.v1("GET", `/messages/${review.id}`), 404);
    const left = await env.DB.prepare("select count(*) as n from messages where channel_id = ?").bind(mBot.agent.id).first<{ n: number }>();
    expect(left?.n).toBe(0);
    expectError(await m.as("DELETE", `/api/agents/${mBot.agent.id}`), 404);
  });
});

describe("messages (user API)", () => {
  it("a person writes to an agent: 201, senderType user; the agent sees it", async () => {
    const res = await owner.as("POST", "/api/messages", { channelId: bot.agent.id, text: "Please also run the linter" });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      channelId: bot.agent.id,
      senderType: "user",
      senderId: owner.id,
      text: "Please also run the linter",
      review: null,
      attachments: [],
    });
    const seen = await bot.v1("GET", `/messages?channel=${bot.agent.id}&after=${res.json.seq - 1}`);
    expect(seen.json.data.map((m: { id: string }) => m.id)).toEqual([res.json.id]);

    expectError(await owner.as("POST", "/api/messages", { channelId: bot.agent.id }), 400);
    expectError(await owner.as("POST", "/api/messages", { channelId: bot.agent.id, text: "   " }), 400);
    expectError(await owner.as("POST", "/api/messages", { text: "where to?" }), 400, ["channelId"]);
    expectError(await owner.as("POST", "/api/messages", { channelId: "no-such-agent", text: "x" }), 404);
  });

  it("a clientId replay returns the first message", async () => {
    const first = await owner.as("POST", "/api/messages", { channelId: bot.agent.id, text: "only once", clientId: "tab-1-msg-1" });
    expect(first.status).toBe(201);
    const again = await owner.as("POST", "/api/messages", { channelId: bot.agent.id, text: "only once", clientId: "tab-1-msg-1" });
    expect(again.json.id).toBe(first.json.id);
    const list = await owner.as("GET", `/api/messages?channel=${bot.agent.id}&search=${encodeURIComponent("only once")}`);
    expect(list.json.data).toHaveLength(1);
  });

  it("GET /api/messages: newest first, limit and cursor, search", async () => {
    const m = await member();
    const mBot = await agentWithKey(m, "Pager");
    for (const text of ["red", "green", "blue"]) await mBot.v1("POST", "/messages", { text });
    const page1 = await m.as("GET", `/api/messages?channel=${mBot.agent.id}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.json.data.map((x: { text: string }) => x.text)).toEqual(["blue", "green"]);
    expect(page1.json.nextCursor).toEqual(expect.any(String));
    const page2 = await m.as("GET", `/api/messages?channel=${mBot.agent.id}&limit=2&cursor=${encodeURIComponent(page1.json.nextCursor)}`);
    expect(page2.json.data.map((x: { text: string }) => x.text)).toEqual(["red"]);
    expect(page2.json.nextCursor).toBeNull();
    const found = await m.as("GET", `/api/messages?channel=${mBot.agent.id}&search=gree`);
    expect(found.json.data.map((x: { text: string }) => x.text)).toEqual(["green"]);
    // One agent: channel may be omitted.
    expect((await m.as("GET", "/api/messages")).json.data).toHaveLength(3);
    expectError(await m.as("GET", `/api/messages?channel=${mBot.agent.id}&limit=500`), 400, ["query.limit"]);
  });

  it("retry-webhook exists for the caller's own message", async () => {
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "no webhook here" });
    const res = await owner.as("POST", `/api/messages/${posted.json.id}/retry-webhook`);
    expect(res.status, res.text).not.toBe(404);
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expectError(res, res.status);
    expectError(await owner.as("POST", "/api/messages/no-such-message/retry-webhook"), 404);
  });
});

describe("answering reviews", () => {
  const respond = (id: string, response: unknown) => owner.as("POST", `/api/messages/${id}/respond`, { response });

  describe("approval", () => {
    it("checks the option and the comment; the first answer wins, a second is 409", async () => {
      const noComment = await postReview(bot, {
        type: "approval",
        payload: {
          options: [
            { id: "yes", label: "Yes" },
            { id: "no", label: "No" },
          ],
        },
      });
      expectError(await respond(noComment.id, { selectedOption: "maybe" }), 400, ["response.selectedOption"]);
      expectError(await respond(noComment.id, {}), 400, ["response.selectedOption"]);
      expectError(await respond(noComment.id, { selectedOption: 1 }), 400, ["response.selectedOption"]);
      expectError(await respond(noComment.id, { selectedOption: "yes", comment: "sure" }), 400, ["response.comment"]);
      expectError(await respond(noComment.id, "yes"), 400);
      expectError(await owner.as("POST", `/api/messages/${noComment.id}/respond`, {}), 400);
      // Still pending after all the bad answers.
      expect((await bot.v1("GET", `/reviews/${noComment.id}`)).json.review.status).toBe("pending");

      const ok = await respond(noComment.id, { selectedOption: "no" });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.review).toMatchObject({ status: "completed", response: { selectedOption: "no" } });
      expect(ok.json.review.completedAt).toMatch(ISO);
      const second = await respond(noComment.id, { selectedOption: "yes" });
      expectError(second, 409);
      expect((await bot.v1("GET", `/reviews/${noComment.id}`)).json.review.response).toEqual({ selectedOption: "no" });

      const withComment = await postReview(bot, approval);
      const commented = await respond(withComment.id, { selectedOption: "approve", comment: "Looks good" });
      expect(commented.json.review.response).toEqual({ selectedOption: "approve", comment: "Looks good" });
    });

    it("a message without a review cannot be answered (404); an unknown message is 404", async () => {
      const plain = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "just info" });
      expectError(await respond(plain.json.id, { selectedOption: "approve" }), 404);
      expectError(await respond("no-such-message", { selectedOption: "approve" }), 404);
    });
  });

  describe("selection", () => {
    const items = [
      { id: "up", label: "Migrate up" },
      { id: "down", label: "Roll back" },
      { id: "skip", label: "Skip" },
    ];

    it("single: exactly one known id", async () => {
      const r = await postReview(bot, { type: "selection", payload: { mode: "single", items } });
      expectError(await respond(r.id, { selectedIds: ["up", "down"] }), 400, ["response.selectedIds"]);
      expectError(await respond(r.id, { selectedIds: ["sideways"] }), 400, ["response.selectedIds.0"]);
      expectError(await respond(r.id, { selectedIds: [] }), 400, ["response.selectedIds"]);
      expectError(await respond(r.id, { selectedIds: "up" }), 400, ["response.selectedIds"]);
      expectError(await respond(r.id, {}), 400, ["response.selectedIds"]);
      const ok = await respond(r.id, { selectedIds: ["skip"] });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.review.response).toEqual({ selectedIds: ["skip"] });
    });

    it("multi: one or more known ids, no duplicates", async () => {
      const r = await postReview(bot, { type: "selection", payload: { mode: "multi", items } });
      expectError(await respond(r.id, { selectedIds: ["up", "nope"] }), 400, ["response.selectedIds.1"]);
      expectError(await respond(r.id, { selectedIds: ["up", "up"] }), 400);
      expectError(await respond(r.id, { selectedIds: [] }), 400, ["response.selectedIds"]);
      const ok = await respond(r.id, { selectedIds: ["up", "skip"] });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.review.response).toEqual({ selectedIds: ["up", "skip"] });
    });
  });

  describe("form with all 12 field types", () => {
    const fields = [
      { name: "title", type: "text", label: "Title", required: true, min: 2, max: 10 },
      { name: "count", type: "number", label: "Count", min: 1, max: 5 },
      { name: "mail", type: "email", label: "Email" },
      { name: "site", type: "url", label: "Site" },
      { name: "notes", type: "textarea", label: "Notes", max: 20 },
      {
        name: "env",
        type: "select",
        label: "Environment",
        required: true,
        options: [
          { value: "staging", label: "Staging" },
          { value: "prod", label: "Production" },
        ],
      },
      { name: "agree", type: "checkbox", label: "I agree", required: true },
      { name: "day", type: "date", label: "Day", min: "2024-01-01", max: "2030-12-31" },
      { name: "at", type: "time", label: "At" },
      { name: "when", type: "datetime", label: "When" },
      { name: "level", type: "range", label: "Level", min: 0, max: 10, step: 2 },
      { name: "secret", type: "password", label: "Token", required: true },
    ];
    const valid = {
      title: "Release",
      count: 3,
      mail: "ops@example.com",
      site: "https://example.com/status",
      notes: "all good",
      env: "prod",
      agree: true,
      day: "2025-06-30",
      at: "14:30",
      when: "2025-06-30T14:30:00Z",
      level: 4,
      secret: "hunter2-token",
    };
    let review: { id: string };

    beforeAll(async () => {
      review = await postReview(bot, { type: "form", payload: { fields, submitLabel: "Deploy" } }, "Configure the deployment");
    });

    const without = (name: string) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== name));
    const bad: [string, Record<string, unknown>, string][] = [
      ["required text missing", without("title"), "response.title"],
      ["required select missing", without("env"), "response.env"],
      ["required password missing", without("secret"), "response.secret"],
      ["required checkbox missing", without("agree"), "response.agree"],
      ["required text empty", { ...valid, title: "" }, "response.title"],
      ["text shorter than min", { ...valid, title: "R" }, "response.title"],
      ["text longer than max", { ...valid, title: "Release candidate" }, "response.title"],
      ["text not a string", { ...valid, title: 7 }, "response.title"],
      ["number as a string", { ...valid, count: "3" }, "response.count"],
      ["number below min", { ...valid, count: 0 }, "response.count"],
      ["number above max", { ...valid, count: 6 }, "response.count"],
      ["email malformed", { ...valid, mail: "not-an-email" }, "response.mail"],
      ["url malformed", { ...valid, site: "not a url" }, "response.site"],
      ["url not http(s)", { ...valid, site: "javascript:alert(1)" }, "response.site"],
      ["textarea longer than max", { ...valid, notes: "x".repeat(21) }, "response.notes"],
      ["select value not an option", { ...valid, env: "dev" }, "response.env"],
      ["checkbox not a boolean", { ...valid, agree: "yes" }, "response.agree"],
      ["required checkbox unchecked", { ...valid, agree: false }, "response.agree"],
      ["date malformed", { ...valid, day: "30/06/2025" }, "response.day"],
      ["date not a real day", { ...valid, day: "2025-13-45" }, "response.day"],
      ["date before min", { ...valid, day: "2023-12-31" }, "response.day"],
      ["date after max", { ...valid, day: "2031-01-01" }, "response.day"],
      ["time malformed", { ...valid, at: "half past two" }, "response.at"],
      ["time not a real time", { ...valid, at: "25:99" }, "response.at"],
      ["datetime malformed", { ...valid, when: "tomorrow at noon" }, "response.when"],
      ["range above max", { ...valid, level: 12 }, "response.level"],
      ["range off step", { ...valid, level: 3 }, "response.level"],
      ["range not a number", { ...valid, level: "4" }, "response.level"],
      ["password not a string", { ...valid, secret: 1234 }, "response.secret"],
    ];

    it.each(bad)("%s → 400 naming %s", async (_what, response, path) => {
      const res = await respond(review.id, response);
      expectError(res, 400, [path]);
    });

    it("an unknown field is refused", async () => {
      expectError(await respond(review.id, { ...valid, extra: "field" }), 400);
    });

    it("every problem of one answer is listed", async () => {
      const res = await respond(review.id, { ...without("title"), count: 9, mail: "nope", env: "dev", agree: false });
      expectError(res, 400, ["response.title", "response.count", "response.mail", "response.env", "response.agree"]);
    });

    it("a valid answer is stored; optional fields may be left out", async () => {
      expect((await bot.v1("GET", `/reviews/${review.id}`)).json.review.status).toBe("pending");
      const ok = await respond(review.id, valid);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.review.status).toBe("completed");

      const minimal = await postReview(bot, { type: "form", payload: { fields } });
      const res = await respond(minimal.id, { title: "Go", env: "staging", agree: true, secret: "s3cret" });
      expect(res.status, res.text).toBe(200);
    });

    it("password fields are masked for people but visible to the agent", async () => {
      const waited = await bot.v1("GET", `/reviews/${review.id}/wait?timeout=1000`);
      expect(waited.json.status).toBe("completed");
      expect(waited.json.message.review.response).toEqual(valid);
      expect((await bot.v1("GET", `/reviews/${review.id}`)).json.review.response.secret).toBe("hunter2-token");
      expect((await bot.v1("GET", `/messages/${review.id}`)).json.review.response.secret).toBe("hunter2-token");

      const masked = { ...valid, secret: "••••••" };
      const conversation = await owner.as("GET", `/api/messages?channel=${bot.agent.id}&search=${encodeURIComponent("Configure the deployment")}`);
      const inConversation = conversation.json.data.find((m: { id: string }) => m.id === review.id);
      expect(inConversation.review.response).toEqual(masked);
      const inbox = await owner.as("GET", `/api/reviews?status=completed&channel=${bot.agent.id}`);
      expect(inbox.json.data.find((m: { id: string }) => m.id === review.id).review.response).toEqual(masked);
      expect(inbox.text).not.toContain("hunter2-token");
      expect(conversation.text).not.toContain("hunter2-token");
    });

    it("the answer to respond itself does not echo the password", async () => {
      const r = await postReview(bot, { type: "form", payload: { fields: [{ name: "pin", type: "password", label: "PIN", required: true }] } });
      const res = await respond(r.id, { pin: "424242" });
      expect(res.status).toBe(200);
      expect(res.json.review.response).toEqual({ pin: "••••••" });
      expect(res.text).not.toContain("424242");
      expect((await bot.v1("GET", `/reviews/${r.id}`)).json.review.response).toEqual({ pin: "424242" });
    });
  });

  describe("text-input", () => {
    it("text must be a string within minLength..maxLength", async () => {
      const r = await postReview(bot, { type: "text-input", payload: { placeholder: "Why?", minLength: 5, maxLength: 10 } });
      expectError(await respond(r.id, { text: "abc" }), 400, ["response.text"]);
      expectError(await respond(r.id, { text: "x".repeat(11) }), 400, ["response.text"]);
      expectError(await respond(r.id, { text: 12345 }), 400, ["response.text"]);
      expectError(await respond(r.id, {}), 400, ["response.text"]);
      expectError(await respond(r.id, { text: "valid", more: 1 }), 400);
      const ok = await respond(r.id, { text: "because" });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.review.response).toEqual({ text: "because" });
    });
  });

  describe("freeform", () => {
    it("any JSON object; anything else is 400", async () => {
      const r = await postReview(bot, { type: "freeform", payload: { plugin: "diff" } });
      for (const response of ["text", 42, [1, 2], null, true]) expectError(await respond(r.id, response), 400);
      const answer = { verdict: "lgtm", lines: [3, 4], nested: { ok: true } };
      const ok = await respond(r.id, answer);
      expect(ok.status, ok.text).toBe(200);
      expect((await bot.v1("GET", `/reviews/${r.id}/wait?timeout=50`)).json.message.review.response).toEqual(answer);
    });
  });
});

describe("the inbox: GET /api/reviews", () => {
  let m: Person;
  let one: Bot;
  let two: Bot;
  const r: Record<string, string> = {};

  beforeAll(async () => {
    m = await member();
    one = await agentWithKey(m, "Inbox one");
    two = await agentWithKey(m, "Inbox two");
    await one.v1("POST", "/messages", { channelId: one.agent.id, text: "alpha plain, no review" });
    r.alpha = (await postReview(one, approval, "Deploy alpha")).id;
    await sleep(3);
    r.beta = (await postReview(one, approval, "Deploy beta")).id;
    await sleep(3);
    r.gamma = (await postReview(two, approval, "Rotate gamma")).id;
    await sleep(3);
    r.delta = (await postReview(two, { ...approval, expiresInSeconds: 1 }, "Expire delta")).id;
    expect((await m.as("POST", `/api/messages/${r.beta}/respond`, { response: { selectedOption: "approve" } })).status).toBe(200);
    expect((await two.v1("GET", `/reviews/${r.delta}/wait?timeout=10000`)).json.status).toBe("expired");
  });

  it("defaults to pending, newest first, across agents", async () => {
    const res = await m.as("GET", "/api/reviews");
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([r.gamma, r.alpha]);
    expect(ids(await m.as("GET", "/api/reviews?status=pending"))).toEqual([r.gamma, r.alpha]);
  });

  it("status=completed, expired, all", async () => {
    expect(ids(await m.as("GET", "/api/reviews?status=completed"))).toEqual([r.beta]);
    const expired = await m.as("GET", "/api/reviews?status=expired");
    expect(ids(expired)).toEqual([r.delta]);
    expect(expired.json.data[0].review.status).toBe("expired");
    expect(ids(await m.as("GET", "/api/reviews?status=all"))).toEqual([r.delta, r.gamma, r.beta, r.alpha]);
  });

  it("channel and search narrow it", async () => {
    expect(ids(await m.as("GET", `/api/reviews?status=all&channel=${one.agent.id}`))).toEqual([r.beta, r.alpha]);
    expect(ids(await m.as("GET", `/api/reviews?channel=${two.agent.id}`))).toEqual([r.gamma]);
    expect(ids(await m.as("GET", "/api/reviews?status=all&search=gamma"))).toEqual([r.gamma]);
    expect(ids(await m.as("GET", "/api/reviews?status=all&search=Deploy"))).toEqual([r.beta, r.alpha]);
    expect(ids(await m.as("GET", "/api/reviews?search=zzz-nothing"))).toEqual([]);
  });

  it("pages with limit and cursor", async () => {
    const first = await m.as("GET", "/api/reviews?status=all&limit=3");
    expect(ids(first)).toEqual([r.delta, r.gamma, r.beta]);
    const next = await m.as("GET", `/api/reviews?status=all&limit=3&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(ids(next)).toEqual([r.alpha]);
  });

  it("rejects a bad status (400) and an unknown channel (404); needs a session", async () => {
    expectError(await m.as("GET", "/api/reviews?status=done"), 400, ["query.status"]);
    expectError(await m.as("GET", "/api/reviews?channel=no-such-agent"), 404);
    expectError(await call("GET", "/api/reviews"), 401);
  });
});

describe("preferences", () => {
  it("defaults, patch, and validation", async () => {
    const m = await member();
    const defaults = await m.as("GET", "/api/preferences");
    expect(defaults.status).toBe(200);
    expect(defaults.json).toEqual({ theme: "system", inlineHtml: false, push: false, quietHours: null });
    const patched = await m.as("PATCH", "/api/preferences", { theme: "dark" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toEqual({ theme: "dark", inlineHtml: false, push: false, quietHours: null });
    expect((await m.as("PATCH", "/api/preferences", { inlineHtml: true })).json).toEqual({ theme: "dark", inlineHtml: true, push: false, quietHours: null });
    expect((await m.as("GET", "/api/preferences")).json).toEqual({ theme: "dark", inlineHtml: true, push: false, quietHours: null });
    expectError(await m.as("PATCH", "/api/preferences", { theme: "neon" }), 400, ["theme"]);
    expectError(await m.as("PATCH", "/api/preferences", { inlineHtml: "yes" }), 400, ["inlineHtml"]);
    expectError(await m.as("PATCH", "/api/preferences", { fontSize: 20 }), 400);
    expect((await m.as("GET", "/api/preferences")).json.theme).toBe("dark");
    // Someone else's preferences are their own.
    expect((await owner.as("GET", "/api/preferences")).json.theme).toBe("system");
    expectError(await call("GET", "/api/preferences"), 401);
  });
});

describe("push", () => {
  it("vapid-key is a base64url uncompressed P-256 point (65 bytes), the same each time", async () => {
    const res = await owner.as("GET", "/api/push/vapid-key");
    expect(res.status).toBe(200);
    expect(res.json.publicKey).toMatch(/^[A-Za-z0-9_-]+$/);
    const point = fromBase64url(res.json.publicKey);
    expect(point.length).toBe(65);
    expect(point[0]).toBe(4);
    expect((await owner.as("GET", "/api/push/vapid-key")).json.publicKey).toBe(res.json.publicKey);
    expectError(await call("GET", "/api/push/vapid-key"), 401);
  });

  it("subscribe and unsubscribe", async () => {
    const endpoint = "https://push.example.com/send/abc123";
    const count = async () =>
      (await env.DB.prepare("select count(*) as n from push_subscriptions where endpoint = ?").bind(endpoint).first<{ n: number }>())?.n;
    const sub = await owner.as("POST", "/api/push/subscribe", {
      endpoint,
      keys: { p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", auth: "tBHItJI5svbpez7KI4CCXg" },
    });
    expect(sub.status, sub.text).toBe(201);
    expect(sub.json).toMatchObject({ endpoint, subscribed: true });
    expect(await count()).toBe(1);
    expectError(await owner.as("POST", "/api/push/subscribe", { endpoint: "not a url", keys: { p256dh: "a", auth: "b" } }), 400, ["endpoint"]);
    expectError(await owner.as("POST", "/api/push/subscribe", { endpoint }), 400, ["keys"]);
    const unsub = await owner.as("DELETE", "/api/push/subscribe", { endpoint });
    expect(unsub.status, unsub.text).toBe(200);
    expect(unsub.json).toMatchObject({ subscribed: false });
    expect(await count()).toBe(0);
    expectError(await call("POST", "/api/push/subscribe", { body: { endpoint, keys: { p256dh: "a", auth: "b" } } }), 401);
  });
});

describe("users (owner only)", () => {
  it("a member gets 403 on every /api/users route", async () => {
    const m = await member();
    expectError(await m.as("GET", "/api/users"), 403);
    expectError(await m.as("POST", "/api/users", { email: "sneaky@example.com", password: "password123", displayName: "Sneaky" }), 403);
    expectError(await m.as("PATCH", `/api/users/${owner.id}`, { displayName: "Pwned" }), 403);
    expectError(await m.as("DELETE", `/api/users/${owner.id}`), 403);
    expectError(await call("POST", "/api/auth/login", { body: { email: "sneaky@example.com", password: "password123" } }), 401);
    expect((await owner.as("GET", "/api/auth/me")).json.displayName).toBe("Owner");
  });

  it("the owner lists, creates, patches and deletes users", async () => {
    const created = await owner.as("POST", "/api/users", { email: "Carol@Example.com", password: "carol password", displayName: "Carol" });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      id: expect.any(String),
      email: "carol@example.com",
      displayName: "Carol",
      role: "member",
      createdAt: expect.stringMatching(ISO),
    });
    const carol = await login(created.json.id, "carol@example.com", "carol password");

    const list = await owner.as("GET", "/api/users");
    expect(list.status).toBe(200);
    expect(list.json.data.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining([owner.id, created.json.id]));
    for (const u of list.json.data) expect(Object.keys(u).sort()).toEqual(["createdAt", "displayName", "email", "id", "role"]);

    expectError(await owner.as("POST", "/api/users", { email: "carol@example.com", password: "other password", displayName: "Carol 2" }), 409);
    expectError(await owner.as("POST", "/api/users", { email: "CAROL@example.com", password: "other password", displayName: "Carol 3" }), 409);
    expectError(await owner.as("POST", "/api/users", { email: "bad", password: "other password", displayName: "X" }), 400, ["email"]);
    expectError(await owner.as("POST", "/api/users", { email: "d@example.com", password: "short", displayName: "D" }), 400, ["password"]);
    expectError(await owner.as("POST", "/api/users", { email: "d@example.com", password: "long enough", displayName: "D", role: "admin" }), 400, ["role"]);

    const renamed = await owner.as("PATCH", `/api/users/${created.json.id}`, { displayName: "Carol B." });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json.displayName).toBe("Carol B.");
    expect((await carol.as("GET", "/api/auth/me")).json.displayName).toBe("Carol B.");
    expectError(await owner.as("PATCH", `/api/users/${created.json.id}`, {}), 400);
    expectError(await owner.as("PATCH", "/api/users/no-such-user", { displayName: "x" }), 404);

    // A new password from the owner ends Carol's sessions.
    expect((await owner.as("PATCH", `/api/users/${created.json.id}`, { password: "reset password" })).status).toBe(200);
    expectError(await carol.as("GET", "/api/auth/me"), 401);
    const carol2 = await login(created.json.id, "carol@example.com", "reset password");

    const deleted = await owner.as("DELETE", `/api/users/${created.json.id}`);
    expect(deleted.status, deleted.text).toBe(200);
    expectError(await carol2.as("GET", "/api/auth/me"), 401);
    expectError(await call("POST", "/api/auth/login", { body: { email: "carol@example.com", password: "reset password" } }), 401);
    expect((await owner.as("GET", "/api/users")).json.data.map((u: { id: string }) => u.id)).not.toContain(created.json.id);
    expectError(await owner.as("DELETE", `/api/users/${created.json.id}`), 404);
  });

  it("promoting a member to owner gives them /api/users", async () => {
    const m = await member();
    expect((await owner.as("PATCH", `/api/users/${m.id}`, { role: "owner" })).json.role).toBe("owner");
    expect((await m.as("GET", "/api/users")).status).toBe(200);
    expect((await owner.as("PATCH", `/api/users/${m.id}`, { role: "member" })).json.role).toBe("member");
    expectError(await m.as("GET", "/api/users"), 403);
  });

  it("the owner cannot delete themself, nor demote the last owner", async () => {
    expectError(await owner.as("DELETE", `/api/users/${owner.id}`), 400);
    expectError(await owner.as("PATCH", `/api/users/${owner.id}`, { role: "member" }), 400);
    expect((await owner.as("GET", "/api/auth/me")).json.role).toBe("owner");
  });

  it("deleting a user deletes their agents, keys and messages", async () => {
    const m = await member();
    const mBot = await agentWithKey(m, "Orphan");
    await mBot.v1("POST", "/messages", { text: "soon gone" });
    expect((await owner.as("DELETE", `/api/users/${m.id}`)).status).toBe(200);
    expectError(await mBot.v1("GET", "/agents"), 401);
    const left = await env.DB.prepare("select count(*) as n from messages where channel_id = ?").bind(mBot.agent.id).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});

describe("errors (user API)", () => {
  it("unknown /api route is 404 in the error shape", async () => {
    expectError(await call("GET", "/api/no-such-thing"), 404);
    expectError(await owner.as("GET", "/api/no-such-thing"), 404);
    expectError(await owner.as("POST", "/api/agents/x/y/z", {}), 404);
  });

  it("invalid JSON is 400, a wrong content type is 415", async () => {
    const broken = await owner.as("POST", "/api/agents", undefined, { "content-type": "application/json" });
    expectError(broken, 400);
    const brokenBody = await call("POST", "/api/agents", { raw: "{oops", headers: { cookie: owner.cookie, origin: BASE, "content-type": "application/json" } });
    expectError(brokenBody, 400);
    const xml = await call("POST", "/api/agents", {
      raw: "<name>x</name>",
      headers: { cookie: owner.cookie, origin: BASE, "content-type": "application/xml" },
    });
    expectError(xml, 415);
    const text = await call("POST", "/api/agents", { raw: "name=x", headers: { cookie: owner.cookie, origin: BASE, "content-type": "text/plain" } });
    expectError(text, 415);
    expect((await owner.as("GET", "/api/agents")).json.data.map((a: { name: string }) => a.name)).not.toContain("x");
  });

  it("a cross-site form post with the session cookie is refused", async () => {
    const res = await call("POST", "/api/auth/logout", {
      raw: "x=1",
      headers: { cookie: owner.cookie, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
    });
    expectError(res, 403);
    expect((await owner.as("GET", "/api/auth/me")).status).toBe(200);
  });

  it("the OpenAPI document and the docs page are public", async () => {
    const doc = await call("GET", "/api/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(["/api/v1/messages", "/api/reviews"]));
    const page = await call("GET", "/api/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
  });

  it("every 4xx keeps the shape: a validation error lists each issue with its path", async () => {
    const res = await owner.as("POST", "/api/users", { email: "x", password: "y" });
    expectError(res, 400, ["email", "password", "displayName"]);
    expect(pathsOf(res).length).toBeGreaterThanOrEqual(3);
  });
});

// Last: it may lock out the address the other tests sign in from.
describe("login rate limit", () => {
  it("repeated failed logins get 429 with Retry-After", async () => {
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 30 && !limited; i++) {
      const res = await call("POST", "/api/auth/login", { body: { email: "target@example.com", password: `guess ${i}` } });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited, "no 429 after 30 failed logins").toBeDefined();
    expectError(limited!, 429);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
