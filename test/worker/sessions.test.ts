// A person's Socket.IO connection is bound to the session whose ws-ticket opened it: whatever ends
// the session (logout, password change, reset, expiry, deletion) closes its sockets on every shard,
// a demotion closes them too (they hold the role), and a ticket connects once, only while its
// session lives. Also: ws-ticket without a cookie is a 401, and two owners removing each other at
// once still leave an owner. Inside workerd, with raw WebSockets to the real gateway shards.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { SessionState } from "../../worker/gateway/session";
import { browser, expectError, login, type Res } from "./api-helpers";
import { addMember, agentWithKey, call, setupOwner, type Person } from "./helpers";
import { alarmOf, connectSocket, shardStub, type RawSocket } from "./socket-helpers";
import { sleep } from "../common";

const SHARDS = ["gw:0", "gw:1", "gw:2", "gw:3"];
const PASSWORD = "member password 1";

let owner: Person;

beforeAll(async () => {
  owner = browser(await setupOwner());
});

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");
const sessionHash = (p: Person) => sha256Hex(p.cookie.replace(/^access_token=/, ""));

async function ticketOf(p: Person): Promise<string> {
  const res = await p.as("POST", "/api/auth/ws-ticket", {});
  expect(res.status, res.text).toBe(200);
  return res.json.ticket;
}

/** A person's socket (on the given shard, else a random one), connected with a fresh ticket and subscribed. */
async function personSocket(p: Person, channelId: string, shard?: string): Promise<RawSocket> {
  const ticket = await ticketOf(p);
  const s = await connectSocket(shard);
  expect(await s.sioConnect({ token: ticket })).toMatch(/^40\/ws,\{"sid"/);
  expect(await s.subscribe(channelId)).toMatchObject({ ok: true });
  return s;
}

async function agentSocket(apiKey: string, channelId: string, shard?: string): Promise<RawSocket> {
  const s = await connectSocket(shard);
  expect(await s.sioConnect({ apiKey })).toMatch(/^40\/ws,\{"sid"/);
  expect(await s.subscribe(channelId)).toMatchObject({ ok: true });
  return s;
}

/** A member signed in, with an agent and a key of their own (a person subscribes to their own channels). */
async function memberWithAgent() {
  const member = browser(await addMember(owner, PASSWORD));
  const bot = await agentWithKey(member, "Member bot");
  return { member, bot, channelId: bot.agent.id as string };
}

const created = (s: RawSocket) => s.events().filter(([name]) => name === "message:created");
const errorsOf = (s: RawSocket) =>
  s
    .events()
    .filter(([name]) => name === "error")
    .map(([, data]) => data.message);

describe("ws-tickets", () => {
  it("ws-ticket without a session cookie answers 401, not the CSRF guard's 403", async () => {
    expectError(await call("POST", "/api/auth/ws-ticket"), 401);
    // A cookie-carrying form-like post from another site is still refused by the guard.
    const forged = await call("POST", "/api/auth/ws-ticket", {
      raw: "x",
      headers: { cookie: owner.cookie, "content-type": "text/plain", origin: "https://evil.example" },
    });
    expectError(forged, 403);
  });

  it("a ticket is kept only as its SHA-256, bound to the session that asked for it", async () => {
    const ticket = await ticketOf(owner);
    const row = await env.DB.prepare("SELECT * FROM ws_tickets WHERE token_hash = ?")
      .bind(await sha256Hex(ticket))
      .first<Record<string, string>>();
    expect(row).toMatchObject({ session_hash: await sessionHash(owner), user_id: owner.id });
    const anywhere = await env.DB.prepare("SELECT count(*) AS n FROM ws_tickets WHERE token_hash = ? OR session_hash = ? OR user_id = ?")
      .bind(ticket, ticket, ticket)
      .first<{ n: number }>();
    expect(anywhere?.n).toBe(0);
  });

  it("a ticket used twice connects once", async () => {
    const ticket = await ticketOf(owner);
    const first = await connectSocket();
    expect(await first.sioConnect({ token: ticket })).toMatch(/^40\/ws,\{"sid"/);
    const second = await connectSocket();
    expect(await second.sioConnect({ token: ticket })).toBe('44/ws,{"message":"unauthorized"}');
    // Nor on the same socket again.
    const third = await connectSocket();
    const [a, b] = await Promise.all([third.sioConnect({ token: ticket }), second.sioConnect({ token: ticket })]);
    expect([a, b]).toEqual(['44/ws,{"message":"unauthorized"}', '44/ws,{"message":"unauthorized"}']);
    for (const s of [first, second, third]) s.ws.close();
  });

  it("the same ticket sent in many CONNECTs at once connects exactly one", async () => {
    const ticket = await ticketOf(owner);
    const sockets = await Promise.all(Array.from({ length: 8 }, () => connectSocket()));
    const answers = await Promise.all(sockets.map((s) => s.sioConnect({ token: ticket })));
    expect(answers.filter((a) => a.startsWith("40/ws")).length).toBe(1);
    for (const s of sockets) s.ws.close();
  });

  it("a ticket issued before a logout does not connect", async () => {
    const member = browser(await addMember(owner, PASSWORD));
    const ticket = await ticketOf(member);
    expect((await member.as("POST", "/api/auth/logout", {})).status).toBe(200);
    const s = await connectSocket();
    expect(await s.sioConnect({ token: ticket })).toBe('44/ws,{"message":"unauthorized"}');
    s.ws.close();
  });

  it("a ticket past its 60 seconds does not connect", async () => {
    const ticket = await ticketOf(owner);
    await env.DB.prepare("UPDATE ws_tickets SET expires_at = ? WHERE token_hash = ?")
      .bind(new Date(Date.now() - 1).toISOString(), await sha256Hex(ticket))
      .run();
    const s = await connectSocket();
    expect(await s.sioConnect({ token: ticket })).toBe('44/ws,{"message":"unauthorized"}');
    s.ws.close();
  });
});

describe("ending a session closes its sockets on every shard", () => {
  it("logout closes that session's sockets on all four shards at once, and no other session's", async () => {
    const { member, bot, channelId } = await memberWithAgent();
    const elsewhere = await login(member.id, member.email, PASSWORD); // the same person on another device
    const doomed = await Promise.all(SHARDS.map((shard) => personSocket(member, channelId, shard)));
    const kept = await personSocket(elsewhere, channelId, "gw:2");
    const agent = await agentSocket(bot.apiKey, channelId, "gw:1");

    const t0 = Date.now();
    expect((await member.as("POST", "/api/auth/logout", {})).status).toBe(200);
    const closed = await Promise.all(doomed.map((s) => s.whenClosed(1000)));
    expect(
      closed.every((c) => c !== undefined && c.at - t0 < 1000),
      JSON.stringify(closed),
    ).toBe(true);
    for (const s of doomed) expect(errorsOf(s)).toEqual(["session ended"]);

    await bot.v1("POST", "/messages", { channelId, text: "after the logout" });
    await kept.next((f) => f.includes("after the logout"));
    await agent.next((f) => f.includes("after the logout"));
    for (const s of doomed) expect(created(s)).toEqual([]);
    expect(kept.closed()).toBeUndefined();
    kept.ws.close();
    agent.ws.close();
  });

  it("a password change closes the other sessions' sockets and keeps this session's", async () => {
    const { member, bot, channelId } = await memberWithAgent();
    const other = await login(member.id, member.email, PASSWORD);
    const mine = await personSocket(member, channelId);
    const theirs = await Promise.all(SHARDS.map((shard) => personSocket(other, channelId, shard)));
    const changed = await member.as("POST", "/api/auth/change-password", { currentPassword: PASSWORD, newPassword: "a new password 2" });
    expect(changed.status, changed.text).toBe(200);
    for (const s of theirs) expect(await s.whenClosed(1000)).toBeDefined();
    await bot.v1("POST", "/messages", { channelId, text: "after the change" });
    await mine.next((f) => f.includes("after the change"));
    for (const s of theirs) expect(created(s)).toEqual([]);
    mine.ws.close();
  });

  it("an owner's password reset closes every socket of that user", async () => {
    const { member, channelId } = await memberWithAgent();
    const sockets = await Promise.all(SHARDS.map((shard) => personSocket(member, channelId, shard)));
    expect((await owner.as("PATCH", `/api/users/${member.id}`, { password: "reset by owner 1" })).status).toBe(200);
    for (const s of sockets) expect(await s.whenClosed(1000)).toBeDefined();
  });

  it("deleting a user closes their person sockets and their agents' API-key sockets", async () => {
    const { member, bot, channelId } = await memberWithAgent();
    const people = await Promise.all(SHARDS.map((shard) => personSocket(member, channelId, shard)));
    const agents = await Promise.all(SHARDS.map((shard) => agentSocket(bot.apiKey, channelId, shard)));
    const bystander = await agentWithKey(owner, "Bystander");
    const other = await agentSocket(bystander.apiKey, bystander.agent.id, "gw:0");
    expect((await owner.as("DELETE", `/api/users/${member.id}`)).status).toBe(200);
    for (const s of [...people, ...agents]) expect(await s.whenClosed(1000)).toBeDefined();
    for (const s of people) expect(errorsOf(s)).toEqual(["user deleted"]);
    expect(other.closed()).toBeUndefined();
    other.ws.close();
  });

  it("demoting an owner closes their sockets (they hold the role); a fresh ticket connects them as a member", async () => {
    const { member, channelId } = await memberWithAgent();
    expect((await owner.as("PATCH", `/api/users/${member.id}`, { role: "owner" })).status).toBe(200);
    const sockets = await Promise.all(SHARDS.map((shard) => personSocket(member, channelId, shard)));
    expect((await owner.as("PATCH", `/api/users/${member.id}`, { role: "member" })).json.role).toBe("member");
    for (const s of sockets) expect(await s.whenClosed(1000)).toBeDefined();

    const again = await personSocket(member, channelId, "gw:3");
    const roles = await runInDurableObject(shardStub("gw:3"), (_instance, state) =>
      state
        .getWebSockets()
        .map((ws) => ws.deserializeAttachment() as SessionState)
        .filter((s) => s.sid === again.open.sid)
        .map((s) => s.principal?.role),
    );
    expect(roles).toEqual(["member"]);
    again.ws.close();
  });

  it("a session past its expiry has its socket closed by the shard's alarm, which points at that expiry", async () => {
    const { member, channelId } = await memberWithAgent();
    const expiresAt = Date.now() + 1500;
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE token_hash = ?")
      .bind(new Date(expiresAt).toISOString(), await sessionHash(member))
      .run();
    const shard = "gw:0";
    const s = await personSocket(member, channelId, shard);
    const alarm = await alarmOf(shard);
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(expiresAt); // no later than the expiry itself
    // The alarm fires by itself: the socket closes once the session has expired, within a second.
    const closed = await s.whenClosed(5000);
    expect(closed).toBeDefined();
    expect(closed!.at).toBeGreaterThanOrEqual(expiresAt);
    expect(closed!.at - expiresAt).toBeLessThan(1000);
    expect(errorsOf(s)).toEqual(["session expired"]);
  });

  it("a session D1 no longer holds is closed at the shard's next heartbeat, even if no revocation reached it", async () => {
    const { member, channelId } = await memberWithAgent();
    const shard = "gw:12"; // a shard of its own: its first alarm is a heartbeat
    const s = await personSocket(member, channelId, shard);
    const bystander = await personSocket(owner, (await agentWithKey(owner, "Still here")).agent.id, shard);
    await env.DB.prepare("DELETE FROM sessions WHERE token_hash = ?")
      .bind(await sessionHash(member))
      .run();
    expect(await runDurableObjectAlarm(shardStub(shard))).toBe(true);
    expect(await s.whenClosed(1000)).toBeDefined();
    expect(bystander.closed()).toBeUndefined();
    expect(bystander.frames).toContain("2"); // the heartbeat's ping
    bystander.ws.close();
  });

  it("re-subscribing with {channelId, after: 0} after a logout replays nothing: the socket is gone", async () => {
    const { member, bot, channelId } = await memberWithAgent();
    await bot.v1("POST", "/messages", { channelId, text: "history" });
    const s = await personSocket(member, channelId);
    expect((await member.as("POST", "/api/auth/logout", {})).status).toBe(200);
    expect(await s.whenClosed(1000)).toBeDefined();
    try {
      s.ws.send(`42/ws,9${JSON.stringify(["subscribe:channel", { channelId, after: 0 }])}`);
    } catch {
      // closed: nothing can be sent, which is the point
    }
    await sleep(300);
    expect(created(s)).toEqual([]);
  });
});

describe("owners", () => {
  const ROUNDS = 16;

  /** A second owner, signed in. */
  async function secondOwner(first: Person) {
    const m = browser(await addMember(first, PASSWORD));
    expect((await first.as("PATCH", `/api/users/${m.id}`, { role: "owner" })).status).toBe(200);
    return m;
  }
  const owners = async () => (await env.DB.prepare("SELECT id FROM users WHERE role = 'owner'").all<{ id: string }>()).results.map((r) => r.id);

  /**
   * Both requests in flight together. Which one's queries reach D1 first varies with timing, so the
   * rounds start one or the other up to 3 ms later, in turn, to cover the overlaps that matter.
   */
  function atOnce<A, B>(round: number, first: () => Promise<A>, second: () => Promise<B>) {
    const lag = round % 4;
    return Promise.all([sleep(round % 2 ? lag : 0).then(first), sleep(round % 2 ? 0 : lag).then(second)]);
  }

  /** Plays the rounds; each leaves exactly one owner, who plays the next round. */
  async function race(removeEachOther: (a: Person, b: Person, round: number) => Promise<Res[]>) {
    let a = owner;
    for (let round = 0; round < ROUNDS; round++) {
      const b = await secondOwner(a);
      const statuses = (await removeEachOther(a, b, round)).map((r) => r.status);
      const left = await owners();
      expect(left, `round ${round}: ${statuses.join(" ")}`).toHaveLength(1);
      // One wins; the other is refused: demoted or deleted by then (403, 401), or the last owner (400).
      expect(
        statuses.filter((s) => s === 200),
        `round ${round}: ${statuses.join(" ")}`,
      ).toHaveLength(1);
      a = left[0] === a.id ? a : b;
    }
    owner = a;
  }

  it("two owners demoting each other at once leave an owner, round after round", async () => {
    await race((a, b, round) =>
      atOnce(
        round,
        () => a.as("PATCH", `/api/users/${b.id}`, { role: "member" }),
        () => b.as("PATCH", `/api/users/${a.id}`, { role: "member" }),
      ),
    );
  });

  it("two owners deleting each other at once leave an owner, round after round", async () => {
    await race((a, b, round) =>
      atOnce(
        round,
        () => a.as("DELETE", `/api/users/${b.id}`),
        () => b.as("DELETE", `/api/users/${a.id}`),
      ),
    );
  });

  it("an owner demoting the other while the other deletes them leaves an owner, round after round", async () => {
    await race((a, b, round) =>
      atOnce(
        round,
        () => a.as("PATCH", `/api/users/${b.id}`, { role: "member" }),
        () => b.as("DELETE", `/api/users/${a.id}`),
      ),
    );
  });
});
