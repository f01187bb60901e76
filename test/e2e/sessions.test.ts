// A person's live connection ends with their session, against the real server with the stock
// socket.io-client (default transports: polling, then the upgrade to WebSocket, as the web app
// connects): logout, a password change and the user's deletion disconnect it within a second and
// nothing more arrives; a ws-ticket connects once and never after a logout. And 300 idle Engine.IO
// handshakes (raw `ws` WebSockets) cannot keep an agent from connecting and receiving events.
import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { MAX_AWAITING_CONNECT } from "../../worker/gateway/protocol";
import { newAgent, nodUrl } from "./helpers";
import { sleep, sessionCookie } from "../common";

const PASSWORD = "member password 1";
const SHARDS = 4; // wrangler.toml GATEWAY_SHARDS

const openSockets = new Set<Socket>();
const rawSockets = new Set<WebSocket>();
afterEach(() => {
  for (const s of openSockets) s.disconnect();
  openSockets.clear();
  for (const ws of rawSockets) ws.terminate();
  rawSockets.clear();
});

/** A request as the browser sends it: the cookie and the site's own Origin. */
async function asBrowser(cookie: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${nodUrl()}${path}`, {
    method,
    headers: { cookie, origin: nodUrl(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

let people = 0;

async function signIn(email: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${nodUrl()}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return sessionCookie(res);
}

/** A new member, signed in, with an agent and an API key of their own. */
async function newPerson() {
  const email = `live${++people}-${Date.now()}@example.com`;
  const created = await asBrowser(inject("ownerCookie"), "POST", "/api/users", { email, password: PASSWORD, displayName: `Live ${people}` });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const cookie = await signIn(email);
  const agent = await asBrowser(cookie, "POST", "/api/agents", { name: "Their bot" });
  const key = await asBrowser(cookie, "POST", "/api/api-keys", { label: "their bot" });
  expect([agent.status, key.status]).toEqual([201, 201]);
  return { id: created.json.id as string, email, cookie, channelId: agent.json.id as string, apiKey: key.json.key as string };
}

async function ticket(cookie: string): Promise<string> {
  const res = await asBrowser(cookie, "POST", "/api/auth/ws-ticket");
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.ticket;
}

async function post(apiKey: string, channelId: string, text: string) {
  const res = await fetch(`${nodUrl()}/api/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": apiKey, "content-type": "application/json" },
    body: JSON.stringify({ channelId, text }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; seq: number };
}

/** A stock socket.io-client on /ws that records what it receives and when it was disconnected. */
function client(auth: Record<string, unknown>, options: { reconnection?: boolean } = {}) {
  const socket = io(`${nodUrl()}/ws`, { auth, forceNew: true, ...options });
  openSockets.add(socket);
  const received: { name: string; data: any }[] = [];
  socket.onAny((name: string, data: unknown) => received.push({ name, data }));
  let disconnectedAt: number | undefined;
  socket.on("disconnect", () => (disconnectedAt ??= performance.now()));
  const created = () => received.filter((e) => e.name === "message:created").map((e) => e.data.text as string);
  return { socket, received, created, disconnectedAt: () => disconnectedAt };
}

function outcome(socket: Socket, timeoutMs = 10_000): Promise<"connected" | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`nothing within ${timeoutMs} ms`), timeoutMs);
    const settle = (outcome: string) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    socket.once("connect", () => settle("connected"));
    socket.once("connect_error", (err) => settle(err.message));
  });
}

async function subscribed(socket: Socket, arg: string | { channelId: string; after: number }) {
  expect(await socket.timeout(10_000).emitWithAck("subscribe:channel", arg)).toMatchObject({ ok: true });
}

async function waitFor(check: () => boolean, timeoutMs: number) {
  const until = performance.now() + timeoutMs;
  while (!check() && performance.now() < until) await sleep(10);
  return check();
}

/** A person's socket, connected and subscribed to their channel, shown to be receiving. */
async function livePerson(person: Awaited<ReturnType<typeof newPerson>>, cookie = person.cookie) {
  const c = client({ token: await ticket(cookie) });
  expect(await outcome(c.socket)).toBe("connected");
  await subscribed(c.socket, person.channelId);
  await post(person.apiKey, person.channelId, "live before");
  expect(await waitFor(() => c.created().includes("live before"), 5000)).toBe(true);
  return c;
}

describe("a person's socket ends with their session", () => {
  it("after logout the socket is disconnected within a second, receives nothing, and re-subscribing with {after: 0} replays nothing", async () => {
    const person = await newPerson();
    await post(person.apiKey, person.channelId, "history");
    const live = await livePerson(person);
    const refused = outcome(live.socket, 15_000);

    const t0 = performance.now();
    expect((await asBrowser(person.cookie, "POST", "/api/auth/logout")).status).toBe(200);
    expect(await waitFor(() => live.disconnectedAt() !== undefined, 1000)).toBe(true);
    console.log(`logout: the person's socket was disconnected ${(live.disconnectedAt()! - t0).toFixed(0)} ms after the request was sent`);

    const before = live.created().length;
    live.socket.emit("subscribe:channel", { channelId: person.channelId, after: 0 }); // sent if it ever reconnects
    await post(person.apiKey, person.channelId, "after logout");
    // Its reconnection presents the spent ticket again and is refused; a new ticket needs the session.
    expect(await refused).toBe("unauthorized");
    expect((await asBrowser(person.cookie, "POST", "/api/auth/ws-ticket")).status).toBe(401);
    await sleep(1000);
    expect(live.created().slice(before)).toEqual([]);
    expect(live.created()).not.toContain("history");
    expect(live.socket.connected).toBe(false);
  });

  it("after a password change the other session's socket is disconnected within a second; this session's keeps receiving", async () => {
    const person = await newPerson();
    const otherCookie = await signIn(person.email);
    const mine = await livePerson(person);
    const theirs = await livePerson(person, otherCookie);

    const t0 = performance.now();
    const changed = await asBrowser(person.cookie, "POST", "/api/auth/change-password", { currentPassword: PASSWORD, newPassword: "a new password 2" });
    expect(changed.status, JSON.stringify(changed.json)).toBe(200);
    expect(await waitFor(() => theirs.disconnectedAt() !== undefined, 1000)).toBe(true);
    console.log(`password change: the other session's socket was disconnected ${(theirs.disconnectedAt()! - t0).toFixed(0)} ms after the request was sent`);

    await post(person.apiKey, person.channelId, "after the change");
    expect(await waitFor(() => mine.created().includes("after the change"), 5000)).toBe(true);
    await sleep(1000);
    expect(theirs.created()).not.toContain("after the change");
    expect(mine.socket.connected).toBe(true);
  });

  it("after the user is deleted their person socket and their agent's API-key socket are disconnected within a second", async () => {
    const person = await newPerson();
    const live = await livePerson(person);
    const agent = client({ apiKey: person.apiKey });
    expect(await outcome(agent.socket)).toBe("connected");
    await subscribed(agent.socket, person.channelId);

    const t0 = performance.now();
    expect((await asBrowser(inject("ownerCookie"), "DELETE", `/api/users/${person.id}`)).status).toBe(200);
    expect(await waitFor(() => live.disconnectedAt() !== undefined && agent.disconnectedAt() !== undefined, 1000)).toBe(true);
    console.log(
      `user deletion: person socket ${(live.disconnectedAt()! - t0).toFixed(0)} ms, API-key socket ${(agent.disconnectedAt()! - t0).toFixed(0)} ms after the request was sent`,
    );
    await sleep(1000);
    expect(live.socket.connected || agent.socket.connected).toBe(false);
  });
});

describe("ws-tickets", () => {
  it("a ticket used twice connects once", async () => {
    const person = await newPerson();
    const token = await ticket(person.cookie);
    const first = client({ token });
    expect(await outcome(first.socket)).toBe("connected");
    const second = client({ token }, { reconnection: false });
    expect(await outcome(second.socket)).toBe("unauthorized");
  });

  it("a ticket issued before a logout is refused", async () => {
    const person = await newPerson();
    const token = await ticket(person.cookie);
    expect((await asBrowser(person.cookie, "POST", "/api/auth/logout")).status).toBe(200);
    const late = client({ token }, { reconnection: false });
    expect(await outcome(late.socket)).toBe("unauthorized");
  });
});

describe("idle handshakes", () => {
  it("300 idle Engine.IO handshakes cannot keep an API-key client from connecting and receiving events; the oldest idle ones are closed", async () => {
    const IDLE = 300;
    const wsUrl = `${nodUrl().replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`;
    const idle: { ws: WebSocket; shard: string; closed: boolean }[] = [];
    const openOne = () =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(wsUrl);
        rawSockets.add(ws);
        ws.once("error", reject);
        ws.once("message", (data) => {
          const frame = data.toString();
          if (!frame.startsWith("0")) return reject(new Error(`no open packet: ${frame}`));
          const entry = { ws, shard: (JSON.parse(frame.slice(1)) as { sid: string }).sid.split("-")[0]!, closed: false };
          ws.on("close", () => (entry.closed = true));
          idle.push(entry);
          resolve();
        });
      });
    const t0 = performance.now();
    for (let i = 0; i < IDLE; i += 50) await Promise.all(Array.from({ length: 50 }, openOne)); // none sends CONNECT
    console.log(`${IDLE} idle handshakes opened in ${(performance.now() - t0).toFixed(0)} ms`);

    const { channelId, apiKey } = await newAgent("Through the idle crowd");
    const agent = client({ apiKey });
    expect(await outcome(agent.socket)).toBe("connected");
    await subscribed(agent.socket, channelId);
    await post(apiKey, channelId, "made it");
    expect(await waitFor(() => agent.created().includes("made it"), 5000)).toBe(true);

    // Each shard kept at most its cap of idle sessions: the oldest beyond it were closed.
    await sleep(200);
    const perShard = new Map<string, number>();
    for (const s of idle) perShard.set(s.shard, (perShard.get(s.shard) ?? 0) + 1);
    const mustHaveClosed = [...perShard.values()].reduce((n, count) => n + Math.max(0, count - MAX_AWAITING_CONNECT), 0);
    // Closed by the server: its close frame arrived (`ws` emits "close" only once the TCP connection
    // ends, which wrangler's dev proxy may hold open for a while).
    const serverClosed = (s: (typeof idle)[number]) => s.closed || s.ws.readyState !== WebSocket.OPEN;
    const closed = idle.filter(serverClosed).length;
    console.log(`idle handshakes per shard ${JSON.stringify(Object.fromEntries(perShard))}: ${closed} closed (at least ${mustHaveClosed} expected)`);
    expect(perShard.size).toBeLessThanOrEqual(SHARDS);
    expect(closed).toBeGreaterThanOrEqual(mustHaveClosed);
    expect(mustHaveClosed).toBeGreaterThan(0); // 300 over 4 shards of 64
    for (const [shard] of perShard) expect(idle.filter((s) => s.shard === shard && !serverClosed(s)).length).toBeLessThanOrEqual(MAX_AWAITING_CONNECT);
  }, 60_000);
});
