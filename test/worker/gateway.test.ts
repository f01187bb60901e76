// The Socket.IO gateway inside workerd, at the protocol level: Engine.IO handshake on both
// transports, CONNECT auth, subscribe with ack, events from the room, the heartbeat alarm, binary
// refusal, and a shard that wakes from hibernation (a fresh instance over the same state) still
// delivering to its sockets from their attachments alone.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../worker/gateway/Gateway";
import { agentWithKey, BASE, setupOwner, type Person } from "./helpers";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

/** A raw Engine.IO WebSocket client that collects frames. */
async function connectSocket() {
  const res = await exports.default.fetch(new Request(`${BASE}/socket.io/?EIO=4&transport=websocket`, { headers: { Upgrade: "websocket" } }));
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const frames: string[] = [];
  const waiters: (() => void)[] = [];
  let closed: { code: number } | undefined;
  ws.addEventListener("message", (e) => {
    frames.push(typeof e.data === "string" ? e.data : "<binary>");
    waiters.splice(0).forEach((w) => w());
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code };
    waiters.splice(0).forEach((w) => w());
  });
  ws.accept();
  const next = async (match: (f: string) => boolean, timeoutMs = 3000): Promise<string> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = frames.findIndex(match);
      if (i >= 0) return frames.splice(i, 1)[0]!;
      if (closed || Date.now() > until) throw new Error(`no matching frame; got ${JSON.stringify(frames)} closed=${JSON.stringify(closed)}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
    }
  };
  const open = JSON.parse((await next((f) => f.startsWith("0"))).slice(1));
  return { ws, open, next, frames, closed: () => closed };
}

const shardStub = (sid: string) => env.GATEWAY.get(env.GATEWAY.idFromName(`gw:${sid.split("-")[0]}`));

describe("Socket.IO gateway", () => {
  it("opens a websocket session with the Engine.IO 4 handshake", async () => {
    const { open, ws } = await connectSocket();
    expect(open).toMatchObject({ upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 });
    expect(open.sid).toMatch(/^\d+-/);
    ws.close();
  });

  it("refuses a bad credential with CONNECT_ERROR and an unknown namespace too", async () => {
    const { ws, next } = await connectSocket();
    ws.send('40/ws,{"apiKey":"hp_nope"}');
    expect(await next((f) => f.startsWith("44/ws"))).toBe('44/ws,{"message":"unauthorized"}');
    ws.send("40/other,{}");
    expect(await next((f) => f.startsWith("44/other"))).toContain("Invalid namespace");
    ws.close();
  });

  it("connects, subscribes with an ack, answers ping, and gets room events", async () => {
    const { ws, next } = await connectSocket();
    ws.send(`40/ws,${JSON.stringify({ apiKey: bot.apiKey })}`);
    expect(await next((f) => f.startsWith("40/ws"))).toMatch(/^40\/ws,\{"sid":"[\w-]+"\}$/);
    ws.send(`42/ws,7${JSON.stringify(["subscribe:channel", bot.agent.id])}`);
    expect(JSON.parse((await next((f) => f.startsWith("43/ws,7"))).slice("43/ws,7".length))).toEqual([{ ok: true, channelId: bot.agent.id }]);
    ws.send('42/ws,["ping"]');
    expect(await next((f) => f.startsWith("42/ws"))).toBe('42/ws,["pong"]');
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "hello sockets" });
    const [name, data] = JSON.parse((await next((f) => f.includes("message:created"))).slice("42/ws,".length));
    expect(name).toBe("message:created");
    expect(data).toMatchObject({ id: posted.json.id, text: "hello sockets", seq: posted.json.seq });
    ws.close();
  });

  it("a person connects with a ws-ticket and sees password answers masked; the agent sees them", async () => {
    const ticket = await owner.as("POST", "/api/auth/ws-ticket", {});
    expect(ticket.status).toBe(200);
    const person = await connectSocket();
    person.ws.send(`40/ws,${JSON.stringify({ token: ticket.json.ticket })}`);
    expect(await person.next((f) => f.startsWith("40/ws"))).toMatch(/^40\/ws,\{"sid"/);
    const agent = await connectSocket();
    agent.ws.send(`40/ws,${JSON.stringify({ apiKey: bot.apiKey })}`);
    await agent.next((f) => f.startsWith("40/ws"));
    for (const s of [person, agent]) {
      s.ws.send(`42/ws,1${JSON.stringify(["subscribe:channel", bot.agent.id])}`);
      await s.next((f) => f.startsWith("43/ws,1"));
    }
    const form = { type: "form", payload: { fields: [{ name: "user", type: "text", label: "User" }, { name: "secret", type: "password", label: "Secret" }] } };
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Credentials?", review: form });
    await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { user: "ada", secret: "hunter2" } });
    const responded = async (s: Awaited<ReturnType<typeof connectSocket>>) =>
      JSON.parse((await s.next((f) => f.includes("review:responded"))).slice("42/ws,".length))[1].review.response;
    expect(await responded(agent)).toEqual({ user: "ada", secret: "hunter2" });
    expect(await responded(person)).toEqual({ user: "ada", secret: "••••••" });
    const expired = await connectSocket();
    expired.ws.send(`40/ws,${JSON.stringify({ token: "not-a-ticket" })}`);
    expect(await expired.next((f) => f.startsWith("44/ws"))).toBe('44/ws,{"message":"unauthorized"}');
    for (const s of [person, agent, expired]) s.ws.close();
  });

  it("back-to-back subscribes on one socket all take effect", async () => {
    const channels: string[] = [];
    for (let i = 0; i < 8; i++) channels.push((await owner.as("POST", "/api/agents", { name: `Burst ${i}` })).json.id);
    const { ws, next } = await connectSocket();
    ws.send(`40/ws,${JSON.stringify({ apiKey: bot.apiKey })}`);
    await next((f) => f.startsWith("40/ws"));
    channels.forEach((id, i) => ws.send(`42/ws,${i + 1}${JSON.stringify(["subscribe:channel", id])}`));
    for (let i = 0; i < channels.length; i++) await next((f) => f.startsWith(`43/ws,${i + 1}[`));
    for (const id of channels) await owner.as("POST", "/api/messages", { channelId: id, text: `to ${id}` });
    for (const id of channels) expect(await next((f) => f.includes("message:created") && f.includes(`"to ${id}"`))).toBeTruthy();
    ws.close();
  });

  it("a channel outside the key's scope is refused (ack ok:false) and sends nothing", async () => {
    const { ws, next, frames } = await connectSocket();
    const scoped = await owner.as("POST", "/api/api-keys", { label: "scoped", agentIds: [bot.agent.id] });
    const other = await owner.as("POST", "/api/agents", { name: "Other" });
    ws.send(`40/ws,${JSON.stringify({ apiKey: scoped.json.key })}`);
    await next((f) => f.startsWith("40/ws"));
    ws.send(`42/ws,1${JSON.stringify(["subscribe:channel", other.json.id])}`);
    expect(await next((f) => f.startsWith("43/ws,1"))).toBe('43/ws,1[{"ok":false,"error":"not found"}]');
    await owner.as("POST", "/api/messages", { channelId: other.json.id, text: "not for that key" });
    await new Promise((r) => setTimeout(r, 200));
    expect(frames.filter((f) => f.includes("message:created"))).toEqual([]);
    ws.close();
  });

  it("a shard that wakes from hibernation delivers from the sockets' attachments alone", async () => {
    const { ws, next, open } = await connectSocket();
    ws.send(`40/ws,${JSON.stringify({ apiKey: bot.apiKey })}`);
    await next((f) => f.startsWith("40/ws"));
    ws.send(`42/ws,1${JSON.stringify(["subscribe:channel", bot.agent.id])}`);
    await next((f) => f.startsWith("43/ws,1"));
    const delivered = await runInDurableObject(shardStub(open.sid), (_instance, state) =>
      // A new instance over the same state, as after hibernation: nothing in memory.
      new Gateway(state, env).deliver({ channelId: bot.agent.id, name: "agent:status", data: { agentId: bot.agent.id, status: "busy" } }),
    );
    expect(delivered).toBe(true);
    expect(await next((f) => f.includes("agent:status"))).toBe(`42/ws,["agent:status",{"agentId":"${bot.agent.id}","status":"busy"}]`);
    ws.close();
  });

  it("the shard's alarm pings every socket (Engine.IO heartbeat)", async () => {
    const { ws, next, open } = await connectSocket();
    expect(await runDurableObjectAlarm(shardStub(open.sid))).toBe(true);
    expect(await next((f) => f === "2")).toBe("2");
    ws.send("3");
    ws.close();
  });

  it("binary frames are refused: the socket is closed with 1003", async () => {
    const { ws, closed } = await connectSocket();
    ws.send(new Uint8Array([1, 2, 3]));
    const until = Date.now() + 3000;
    while (!closed() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(closed()?.code).toBe(1003);
  });

  it("polling: handshake, CONNECT by POST, the answer by GET", async () => {
    const url = `${BASE}/socket.io/?EIO=4&transport=polling`;
    const handshake = await (await exports.default.fetch(url)).text();
    expect(handshake.startsWith("0{")).toBe(true);
    const { sid, upgrades } = JSON.parse(handshake.slice(1));
    expect(upgrades).toEqual(["websocket"]);
    const post = await exports.default.fetch(`${url}&sid=${sid}`, { method: "POST", body: `40/ws,${JSON.stringify({ apiKey: bot.apiKey })}` });
    expect(await post.text()).toBe("ok");
    expect(await (await exports.default.fetch(`${url}&sid=${sid}`)).text()).toMatch(/^40\/ws,\{"sid":"[\w-]+"\}$/);
    const unknown = await exports.default.fetch(`${url}&sid=0-unknown`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ code: 1, message: "Session ID unknown" });
    const close = await exports.default.fetch(`${url}&sid=${sid}`, { method: "POST", body: "1" });
    expect(close.status).toBe(200);
  });
});
