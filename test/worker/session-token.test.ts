// A person's token for scripts (issue 14): login sets the session as the `access_token` cookie, and the
// same token works as `Authorization: Bearer` on the whole user API (ws-ticket included), with the
// cookie's expiry and revocation. API keys stay out of the user API, sessions out of the agent API,
// and cookie requests keep their CSRF guard.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { browser, expectError, form, textFile } from "./api-helpers";
import { addMember, agentWithKey, BASE, call, setupOwner, type Person } from "./helpers";
import { connectSocket } from "./socket-helpers";
import { sleep } from "../common";

const PASSWORD = "member password 1";

let owner: Person;

beforeAll(async () => {
  owner = browser(await setupOwner());
});

/** Signs in as a script would: the token is the value of the `access_token` cookie of the answer. */
async function tokenLogin(email: string, password = PASSWORD): Promise<string> {
  const res = await call("POST", "/api/auth/login", { body: { email, password } });
  expect(res.status, res.text).toBe(200);
  const token = (res.headers.get("set-cookie") ?? "").match(/(?:^|[,;]\s*)access_token=([^;]+)/)?.[1];
  expect(token, "access_token in set-cookie").toBeTruthy();
  return token!;
}

const bearer = (token: string, method: string, path: string, body?: unknown) => call(method, path, { body, headers: { authorization: `Bearer ${token}` } });

async function member() {
  const m = await addMember(owner, PASSWORD);
  return { ...m, token: await tokenLogin(m.email) };
}

describe("the access_token cookie", () => {
  it("login and setup set it: HttpOnly, SameSite=Lax, Path=/, 30 days", async () => {
    const m = await addMember(owner, PASSWORD);
    const res = await call("POST", "/api/auth/login", { body: { email: m.email, password: PASSWORD } });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^access_token=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    const expires = Date.parse(cookie.match(/Expires=([^;]+)/i)?.[1] ?? "");
    expect(expires - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(owner.cookie).toMatch(/^access_token=/); // setup's, through sessionCookie
  });
});

describe("Authorization: Bearer <session token> on the user API", () => {
  it("works on /api/auth/me and the rest of /api, JSON and multipart alike, without Origin", async () => {
    const m = await member();
    const me = await bearer(m.token, "GET", "/api/auth/me");
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ id: m.id, email: m.email });
    const agent = await bearer(m.token, "POST", "/api/agents", { name: "Scripted" });
    expect(agent.status, agent.text).toBe(201);
    const sent = await bearer(m.token, "POST", "/api/messages", { channelId: agent.json.id, text: "from a script" });
    expect(sent.status, sent.text).toBe(201);
    expect(sent.json).toMatchObject({ senderType: "user", senderId: m.id });
    // A form-like post needs no Origin: no browser sends this header on another site's behalf.
    const stored = await call("POST", "/api/files/store", {
      raw: form({ file: textFile("scripted"), channelId: agent.json.id }),
      headers: { authorization: `Bearer ${m.token}` },
    });
    expect(stored.status, stored.text).toBe(201);
  });

  it("ws-ticket with Bearer: the ticket opens a person's socket that gets the channel's messages", async () => {
    const m = await member();
    const bot = await agentWithKey(browser(m), "Socket bot");
    const res = await bearer(m.token, "POST", "/api/auth/ws-ticket");
    expect(res.status, res.text).toBe(200);
    expect(res.json.ticket).toMatch(/^wst\./);
    const s = await connectSocket();
    expect(await s.sioConnect({ token: res.json.ticket })).toMatch(/^40\/ws,\{"sid"/);
    expect(await s.subscribe(bot.agent.id)).toMatchObject({ ok: true });
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "hello socket" });
    for (let i = 0; i < 60 && !s.events().some(([name]) => name === "message:created"); i++) await sleep(50);
    const created = s.events().find(([name]) => name === "message:created");
    expect(created?.[1]).toMatchObject({ id: posted.json.id, text: "hello socket" });
  });

  it("dies at logout, whether the logout comes with the Bearer token or the cookie", async () => {
    const m = await member();
    const out = await bearer(m.token, "POST", "/api/auth/logout");
    expect(out.status, out.text).toBe(200);
    expectError(await bearer(m.token, "GET", "/api/auth/me"), 401);
    expectError(await bearer(m.token, "POST", "/api/auth/ws-ticket"), 401);

    const token = await tokenLogin(m.email);
    expect((await bearer(token, "GET", "/api/auth/me")).status).toBe(200);
    expect((await call("POST", "/api/auth/logout", { headers: { cookie: `access_token=${token}`, origin: BASE } })).status).toBe(200);
    expectError(await bearer(token, "GET", "/api/agents"), 401);
  });

  it("a password change ends the other sessions' tokens; an expired session's token is refused", async () => {
    const m = await member();
    const other = await tokenLogin(m.email);
    const changed = await bearer(m.token, "POST", "/api/auth/change-password", { currentPassword: PASSWORD, newPassword: "a new password 2" });
    expect(changed.status, changed.text).toBe(200);
    expectError(await bearer(other, "GET", "/api/auth/me"), 401);
    expect((await bearer(m.token, "GET", "/api/auth/me")).status).toBe(200);
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?").bind("2001-01-01T00:00:00.000Z", m.id).run();
    expectError(await bearer(m.token, "GET", "/api/auth/me"), 401);
  });

  it("an unknown token, an API key as Bearer or as x-api-key: 401 on the user API", async () => {
    expectError(await bearer("not-a-session", "GET", "/api/auth/me"), 401);
    const bot = await agentWithKey(owner, "Key bot");
    const asKey = await bearer(bot.apiKey, "GET", "/api/agents");
    expectError(asKey, 401);
    expect(asKey.json.message).toMatch(/api\/v1/);
    expectError(await bearer(bot.apiKey, "POST", "/api/auth/ws-ticket"), 401);
    expectError(await call("GET", "/api/auth/me", { headers: { "x-api-key": bot.apiKey } }), 401);
  });

  it("a session token on the agent API is refused (401), as Bearer or x-api-key", async () => {
    const m = await member();
    expectError(await bearer(m.token, "GET", "/api/v1/agents"), 401);
    expectError(await call("GET", "/api/v1/agents", { headers: { "x-api-key": m.token } }), 401);
    expectError(await call("GET", "/api/v1/agents", { headers: { cookie: `access_token=${m.token}` } }), 401);
  });
});

describe("CSRF stays as it was for cookie requests", () => {
  it("a cookie-carrying form post from another site, or without Origin, is 403; with this site's Origin it goes through", async () => {
    const agent = await owner.as("POST", "/api/agents", { name: "CSRF target" });
    const post = (headers: Record<string, string>) =>
      call("POST", "/api/files/store", { raw: form({ file: textFile("x"), channelId: agent.json.id }), headers: { cookie: owner.cookie, ...headers } });
    expectError(await post({ origin: "https://evil.example" }), 403);
    expectError(await post({}), 403);
    expect((await post({ origin: BASE })).status).toBe(201);
    // A Bearer header does not excuse the cookie: the request carries it, so the guard applies.
    const token = owner.cookie.replace(/^access_token=/, "");
    expectError(await post({ origin: "https://evil.example", authorization: `Bearer ${token}` }), 403);
  });
});
