// The Socket.IO gateway inside workerd, at the protocol level: Engine.IO handshake on both
// transports, CONNECT auth, subscribe with ack, events from the room, the heartbeat alarm, binary
// refusal, a shard that wakes from hibernation (a fresh instance over the same state) still
// delivering to its sockets from their attachments alone, and the bounds on sessions that never
// send CONNECT (a deadline, and a cap per shard that evicts the oldest).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChannelEvents } from "../../contract/events";
import { Gateway } from "../../worker/gateway/Gateway";
import { CONNECT_TIMEOUT_MS, MAX_AWAITING_CONNECT } from "../../worker/gateway/protocol";
import type { SessionState } from "../../worker/gateway/session";
import { agentWithKey, BASE, setupOwner, type Person } from "./helpers";
import { alarmOf, connectSocket, shardOf, shardStub as stubOf } from "./socket-helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

const shardStub = (sid: string) => stubOf(shardOf(sid));

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
    const form = {
      type: "form",
      payload: {
        fields: [
          { name: "user", type: "text", label: "User" },
          { name: "secret", type: "password", label: "Secret" },
        ],
      },
    };
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
    for (const [i, id] of channels.entries()) ws.send(`42/ws,${i + 1}${JSON.stringify(["subscribe:channel", id])}`);
    for (let i = 0; i < channels.length; i++) await next((f) => f.startsWith(`43/ws,${i + 1}[`));
    for (const id of channels) await owner.as("POST", "/api/messages", { channelId: id, text: `to ${id}` });
    for (const id of channels) expect(await next((f) => f.includes("message:created") && f.includes(`"to ${id}"`))).toBeTruthy();
    ws.close();
  });

  // Rooms send every shard their events until the shard declines (no follower there); a follower that
  // comes later tells the room, so subscribing to an idle channel wakes no room.
  it("a shard that declined a channel gets its events again once a socket there follows it", async () => {
    const channelId = (await owner.as("POST", "/api/agents", { name: "Declined, then followed" })).json.id as string;
    const routes = () =>
      runInDurableObject(env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId)), (_room, state) =>
        state.storage.sql.exec<{ shard: string; added_at: number; declined_at: number | null }>("SELECT * FROM event_routes WHERE shard = 'gw:1'").toArray(),
      );
    // Nobody on gw:1 follows it: the first event is declined there, and the room stops sending it.
    await owner.as("POST", "/api/messages", { channelId, text: "into the void" });
    await expect.poll(async () => (await routes())[0]?.declined_at ?? null).not.toBeNull();
    const key = (await owner.as("POST", "/api/api-keys", { label: "route", agentIds: [channelId] })).json.key as string;
    const s = await connectSocket("gw:1");
    expect(await s.sioConnect({ apiKey: key })).toMatch(/^40\/ws,/);
    expect(await s.subscribe(channelId)).toMatchObject({ ok: true });
    const [route] = await routes();
    expect(route!.added_at).toBeGreaterThan(route!.declined_at!);
    await owner.as("POST", "/api/messages", { channelId, text: "now someone listens" });
    expect(await s.next((f) => f.includes("message:created") && f.includes("now someone listens"))).toBeTruthy();
    s.ws.close();
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
    await sleep(200);
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
      // A partial payload on purpose (cast past the contract's type): only the delivery path is under test.
      new Gateway(state, env).deliver({
        channelId: bot.agent.id,
        name: "agent:status",
        data: { agentId: bot.agent.id, status: "busy" } as ChannelEvents["agent:status"],
      }),
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
    while (!closed() && Date.now() < until) await sleep(20);
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

describe("sessions that never send CONNECT", () => {
  /** Moves a shard's clock for its sessions without CONNECT: their deadline is now. */
  const expireConnectDeadlines = (shard: string) =>
    runInDurableObject(stubOf(shard), (_instance, state) => {
      for (const ws of state.getWebSockets()) {
        const session = ws.deserializeAttachment() as SessionState;
        if (session.connectBy !== undefined) ws.serializeAttachment({ ...session, connectBy: Date.now() - 1 });
      }
    });

  it("an idle handshake is closed by the shard's alarm at its CONNECT deadline; connected sockets stay", async () => {
    const shard = "gw:30";
    const t0 = Date.now();
    const idle = await connectSocket(shard);
    const alarm = await alarmOf(shard);
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(t0 + CONNECT_TIMEOUT_MS + 1000); // the alarm covers the deadline

    const agent = await connectSocket(shard);
    expect(await agent.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws/);
    // A socket that leaves the namespace is an idle session again, with a new deadline.
    const leaver = await connectSocket(shard);
    expect(await leaver.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws/);
    leaver.ws.send("41/ws,");
    leaver.ws.send("2"); // an Engine.IO ping: its pong comes once the DISCONNECT before it was handled
    await leaver.next((f) => f === "3");

    await expireConnectDeadlines(shard);
    expect(await runDurableObjectAlarm(stubOf(shard))).toBe(true);
    expect(await idle.whenClosed(1000)).toBeDefined();
    expect(await leaver.whenClosed(1000)).toBeDefined();
    expect(agent.closed()).toBeUndefined();
    agent.ws.close();
  });

  it(`at ${MAX_AWAITING_CONNECT} per shard, a new handshake closes the oldest idle one (polling too), and a client still connects and gets events`, async () => {
    const shard = "gw:31";
    const url = `${BASE}/socket.io/?EIO=4&transport=polling`;
    const pollingOpen = await stubOf(shard).fetch(new Request(url, { headers: { "x-nod-shard": shard } }));
    const { sid } = JSON.parse((await pollingOpen.text()).slice(1)) as { sid: string };
    const idle = [];
    for (let i = 0; i < MAX_AWAITING_CONNECT; i++) idle.push(await connectSocket(shard));
    // The polling session was the oldest: the last handshake closed it.
    const gone = await stubOf(shard).fetch(new Request(`${url}&sid=${sid}`, { headers: { "x-nod-shard": shard } }));
    expect(gone.status).toBe(400);
    expect(await gone.json()).toEqual({ code: 1, message: "Session ID unknown" });
    expect(idle.every((s) => !s.closed())).toBe(true);

    // One more handshake, then a real client: each closes the oldest idle WebSocket, none refuses.
    const late = await connectSocket(shard);
    const client = await connectSocket(shard);
    expect(await idle[0]!.whenClosed(1000)).toBeDefined();
    expect(await idle[1]!.whenClosed(1000)).toBeDefined();
    expect(idle.slice(2).every((s) => !s.closed())).toBe(true);
    expect(late.closed()).toBeUndefined();

    expect(await client.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws/);
    expect(await client.subscribe(bot.agent.id)).toEqual({ ok: true, channelId: bot.agent.id });
    // Connected sessions do not count: more idle handshakes leave the client alone.
    for (let i = 0; i < 4; i++) await connectSocket(shard);
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "through the crowd" });
    const frame = await client.next((f) => f.includes("message:created"));
    expect(JSON.parse(frame.slice("42/ws,".length))[1]).toMatchObject({ id: posted.json.id, text: "through the crowd" });
    expect(client.closed()).toBeUndefined();
    for (const s of [...idle, late, client]) s.ws.close();
  });

  it("a polling session probes an upgrade with one WebSocket at a time, and its probe dies with it", async () => {
    const shard = "gw:32";
    const url = `${BASE}/socket.io/?EIO=4&transport=polling`;
    const opened = await stubOf(shard).fetch(new Request(url, { headers: { "x-nod-shard": shard } }));
    const { sid } = JSON.parse((await opened.text()).slice(1)) as { sid: string };
    const probe = async () => {
      const res = await stubOf(shard).fetch(
        new Request(`${BASE}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, { headers: { Upgrade: "websocket", "x-nod-shard": shard } }),
      );
      expect(res.status).toBe(101);
      const ws = res.webSocket!;
      let closed = false;
      ws.addEventListener("close", () => (closed = true));
      ws.accept();
      return { ws, closed: () => closed };
    };
    const probes = [await probe(), await probe(), await probe()];
    const until = Date.now() + 1000;
    while (!(probes[0]!.closed() && probes[1]!.closed()) && Date.now() < until) await sleep(20);
    expect(probes.map((p) => p.closed())).toEqual([true, true, false]);
    await stubOf(shard).fetch(new Request(`${url}&sid=${sid}`, { method: "POST", body: "1", headers: { "x-nod-shard": shard } }));
    while (!probes[2]!.closed() && Date.now() < until + 1000) await sleep(20);
    expect(probes[2]!.closed()).toBe(true);
  });
});
