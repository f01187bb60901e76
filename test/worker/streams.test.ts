// Streamed replies inside workerd: a draft POSTed with a streamId (idempotent on it), PATCHed with the
// text so far (each PATCH a message:updated on the channel's sockets), completed, refused once complete;
// the 10-minute idle rule through the room's alarm; live deltas and progress relayed from an agent's
// socket to the channel's subscribers and nowhere else.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { NodClient, NodError } from "../../client/src/index";
import { STREAM_IDLE_MS, streamKey } from "../../worker/room/streams";
import { Timers } from "../../worker/room/timers";
import { expectError } from "./api-helpers";
import { addMember, agentWithKey, approval, BASE, call, setupOwner, type Person } from "./helpers";
import { connectSocket, type RawSocket } from "./socket-helpers";
import { sleep } from "../common";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;
let other: Awaited<ReturnType<typeof agentWithKey>>;
const room = (channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId));

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner, "Streamer");
  other = await agentWithKey(owner, "Other bot");
});

let streams = 0;
const newStreamId = () => `reply-${++streams}.${Date.now()}`;

/** A socket CONNECTed with `auth` and subscribed to `channelId`. */
async function subscribed(auth: Record<string, unknown>, channelId: string): Promise<RawSocket> {
  const socket = await connectSocket();
  expect(await socket.sioConnect(auth)).toMatch(/^40\/ws,/);
  expect(await socket.subscribe(channelId)).toMatchObject({ ok: true });
  return socket;
}

const updatedEvents = (socket: RawSocket, messageId: string) =>
  socket
    .events()
    .filter(([name, data]) => name === "message:updated" && data.id === messageId)
    .map(([, data]) => data);

async function eventually<T>(read: () => T, until: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (until(value) || Date.now() > end) return value;
    await sleep(25);
  }
}

describe("streamed drafts", () => {
  it("POST a draft (201), a retried POST returns the same draft (200), PATCH ×3 then complete, each a message:updated", async () => {
    const socket = await subscribed({ apiKey: bot.apiKey }, bot.agent.id);
    const streamId = newStreamId();
    const draft = await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "" });
    expect(draft.status, draft.text).toBe(201);
    expect(draft.json).toMatchObject({ streamId, streamState: "streaming", text: "", senderType: "agent" });

    const retried = await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "different" });
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ id: draft.json.id, seq: draft.json.seq, text: "", streamState: "streaming" });

    const parts = ["The deploy ", "went out ", "at noon."];
    let text = "";
    for (const [i, part] of parts.entries()) {
      text += part;
      const res = await bot.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ id: draft.json.id, text, streamState: "streaming" });
      const seen = await eventually(
        () => updatedEvents(socket, draft.json.id),
        (events) => events.length === i + 1,
      );
      expect(seen.map((m) => m.text)).toEqual(parts.slice(0, i + 1).map((_, j) => parts.slice(0, j + 1).join("")));
    }
    // Mid-stream, a reload shows the draft as far as it got, in both APIs.
    const mid = await bot.v1("GET", `/messages?channel=${bot.agent.id}`);
    expect(mid.json.data.find((m: { id: string }) => m.id === draft.json.id)).toMatchObject({ text, streamState: "streaming" });

    const done = await bot.v1("PATCH", `/messages/streams/${streamId}`, { text: `${text} All green.`, complete: true, channelId: bot.agent.id });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ id: draft.json.id, text: `${text} All green.`, streamState: "complete" });
    const last = await eventually(
      () => updatedEvents(socket, draft.json.id),
      (events) => events.length === 4,
    );
    expect(last.at(-1)).toMatchObject({ text: `${text} All green.`, streamState: "complete", seq: draft.json.seq });

    const stored = await owner.as("GET", `/api/messages?channel=${bot.agent.id}`);
    expect(stored.json.data.find((m: { id: string }) => m.id === draft.json.id)).toMatchObject({ text: `${text} All green.`, streamState: "complete" });
    // Only one message for the stream, created once.
    const created = socket.events().filter(([name, data]) => name === "message:created" && data.streamId === streamId);
    expect(created).toHaveLength(1);

    const late = await bot.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text: "more" });
    expectError(late, 409);
    expect((await bot.v1("GET", `/messages/${draft.json.id}`)).json.text).toBe(`${text} All green.`);
    socket.ws.close();
  });

  it("channelId may be left out when the key reaches one agent; a completed POST stores a finished message", async () => {
    const scoped = await owner.as("POST", "/api/api-keys", { label: "one agent", agentIds: [bot.agent.id] });
    expect(scoped.status, scoped.text).toBe(201);
    const headers = { "x-api-key": scoped.json.key };
    const streamId = newStreamId();
    const draft = await bot.v1("POST", "/messages", { streamId, streamState: "streaming", text: "Hel" }, headers);
    expect(draft.status, draft.text).toBe(201);
    const patched = await bot.v1("PATCH", `/messages/streams/${streamId}`, { text: "Hello", complete: true }, headers);
    expect(patched.json).toMatchObject({ id: draft.json.id, text: "Hello", streamState: "complete" });

    const whole = await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId: newStreamId(), streamState: "complete", text: "All at once" });
    expect(whole.status).toBe(201);
    expect(whole.json).toMatchObject({ streamState: "complete", text: "All at once" });
  });

  it("another channel's stream is 404, an unknown one too", async () => {
    const streamId = newStreamId();
    const draft = await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "mine" });
    expect(draft.status).toBe(201);
    expectError(await other.v1("PATCH", `/messages/streams/${streamId}`, { channelId: other.agent.id, text: "theirs" }), 404);
    expectError(await bot.v1("PATCH", `/messages/streams/no-such-stream`, { channelId: bot.agent.id, text: "x" }), 404);
    // Another person's key cannot name this channel at all.
    const stranger = await agentWithKey(await addMember(owner), "Stranger");
    expectError(await stranger.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text: "hijack" }), 404);
    expect((await bot.v1("GET", `/messages/${draft.json.id}`)).json.text).toBe("mine");
  });

  it("bad bodies are 400 naming each field, and change nothing", async () => {
    const streamId = newStreamId();
    const post = (body: Record<string, unknown>) => bot.v1("POST", "/messages", { channelId: bot.agent.id, ...body });
    expectError(await post({ streamId, text: "no state" }), 400, ["streamState"]);
    expectError(await post({ streamId: "has spaces/and slash", streamState: "streaming", text: "x" }), 400, ["streamId"]);
    expectError(await post({ streamId, streamState: "typing", text: "x" }), 400, ["streamState"]);
    expectError(await post({ streamId, streamState: "streaming", text: "x", review: approval }), 400, ["review"]);

    const draft = await post({ streamId, streamState: "streaming", text: "start" });
    expect(draft.status).toBe(201);
    const patch = (body: unknown, id = streamId) => bot.v1("PATCH", `/messages/streams/${id}`, body);
    expectError(await patch({ channelId: bot.agent.id, text: "x".repeat(32_001) }), 400, ["text"]);
    const unknown = await patch({ channelId: bot.agent.id, text: "x", colour: "red" });
    expectError(unknown, 400);
    expect(unknown.json.errors).toContainEqual(expect.objectContaining({ code: "unrecognized_keys", message: expect.stringContaining("colour") }));
    expectError(await patch({ channelId: bot.agent.id }), 400, ["text"]);
    expectError(await patch({ channelId: bot.agent.id, text: "x", complete: "yes" }), 400, ["complete"]);
    expectError(await patch({ channelId: bot.agent.id, text: "x" }, "bad%20id"), 400, ["streamId"]);
    expect((await bot.v1("GET", `/messages/${draft.json.id}`)).json).toMatchObject({ text: "start", streamState: "streaming" });
  });

  it("two streams in one channel grow independently", async () => {
    const [a, b] = [newStreamId(), newStreamId()];
    const [da, db] = await Promise.all(
      [a, b].map((streamId) => bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "" })),
    );
    expect([da!.status, db!.status]).toEqual([201, 201]);
    expect(da!.json.id).not.toBe(db!.json.id);
    for (let i = 1; i <= 3; i++) {
      const [ra, rb] = await Promise.all([
        bot.v1("PATCH", `/messages/streams/${a}`, { channelId: bot.agent.id, text: "a".repeat(i) }),
        bot.v1("PATCH", `/messages/streams/${b}`, { channelId: bot.agent.id, text: "b".repeat(i), complete: i === 3 }),
      ]);
      expect([ra!.status, rb!.status]).toEqual([200, 200]);
    }
    const [ma, mb] = await Promise.all([bot.v1("GET", `/messages/${da!.json.id}`), bot.v1("GET", `/messages/${db!.json.id}`)]);
    expect(ma.json).toMatchObject({ text: "aaa", streamState: "streaming" });
    expect(mb.json).toMatchObject({ text: "bbb", streamState: "complete" });
  });

  it("concurrent retried POSTs of one draft store it once", async () => {
    const streamId = newStreamId();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "once" })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
  });
});

describe("the OpenAPI document", () => {
  it("describes the PATCH of a stream and the draft fields of a POST", async () => {
    const doc = (await call("GET", "/api/openapi.json")).json;
    const patch = doc.paths["/api/v1/messages/streams/{streamId}"]?.patch;
    expect(patch, JSON.stringify(Object.keys(doc.paths))).toBeDefined();
    expect(patch.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain("path:streamId");
    expect(Object.keys(patch.requestBody.content["application/json"].schema.properties).sort()).toEqual(["channelId", "complete", "text"]);
    const post = doc.paths["/api/v1/messages"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(post.properties)).toEqual(expect.arrayContaining(["streamId", "streamState"]));
  });
});

describe("the typed client", () => {
  it("startStream (retry-safe), updateStream, completeStream; an update after completion is a 409 NodError", async () => {
    const nod = new NodClient({ url: BASE, apiKey: bot.apiKey, channelId: bot.agent.id, fetch: (url, init) => exports.default.fetch(new Request(url, init)) });
    const streamId = newStreamId();
    const draft = await nod.startStream(streamId, "Thinking", { metadata: { model: "small" } });
    expect(draft).toMatchObject({ streamId, streamState: "streaming", text: "Thinking", metadata: { model: "small" } });
    expect((await nod.startStream(streamId)).id).toBe(draft.id);
    expect(await nod.updateStream(streamId, "Thinking done.")).toMatchObject({ id: draft.id, text: "Thinking done.", streamState: "streaming" });
    expect(await nod.completeStream(streamId, "Thinking done. Answer: 42.")).toMatchObject({ id: draft.id, streamState: "complete" });
    const late = await nod.updateStream(streamId, "again").catch((e: unknown) => e);
    expect(late).toBeInstanceOf(NodError);
    expect((late as NodError).status).toBe(409);
  });
});

describe("the 10-minute rule", () => {
  it("a draft left without a PATCH for 10 minutes is completed as it stands; each PATCH pushes the deadline back", async () => {
    const socket = await subscribed({ apiKey: bot.apiKey }, bot.agent.id);
    const streamId = newStreamId();
    const before = Date.now();
    const draft = await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "Half a" });
    const timerOf = () => runInDurableObject(room(bot.agent.id), (_o, state) => new Timers(state.storage).get(streamKey(streamId)));
    const armed = await timerOf();
    expect(armed!.dueAt).toBeGreaterThanOrEqual(before + STREAM_IDLE_MS);
    expect(armed!.dueAt).toBeLessThanOrEqual(Date.now() + STREAM_IDLE_MS);

    await sleep(5);
    const beforePatch = Date.now();
    expect((await bot.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text: "Half a sentence" })).status).toBe(200);
    const pushed = await timerOf();
    expect(pushed!.dueAt).toBeGreaterThanOrEqual(beforePatch + STREAM_IDLE_MS);
    expect(pushed!.dueAt).toBeGreaterThan(armed!.dueAt);

    // An alarm now finishes nothing: the draft is not idle yet.
    await runDurableObjectAlarm(room(bot.agent.id));
    expect((await bot.v1("GET", `/messages/${draft.json.id}`)).json.streamState).toBe("streaming");

    // Ten minutes pass (the timer's due time moves into the past), then the alarm fires.
    await runInDurableObject(room(bot.agent.id), async (_o, state) => {
      const timers = new Timers(state.storage);
      await timers.set({ ...timers.get(streamKey(streamId))!, dueAt: Date.now() - 1 });
    });
    await runDurableObjectAlarm(room(bot.agent.id));
    const finished = await bot.v1("GET", `/messages/${draft.json.id}`);
    expect(finished.json).toMatchObject({ text: "Half a sentence", streamState: "complete" });
    const updates = await eventually(
      () => updatedEvents(socket, draft.json.id),
      (events) => events.some((m) => m.streamState === "complete"),
    );
    expect(updates.at(-1)).toMatchObject({ text: "Half a sentence", streamState: "complete" });
    expect(await timerOf()).toBeUndefined();
    expectError(await bot.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text: "too late" }), 409);
    socket.ws.close();
  });

  it("a completed stream leaves no timer behind", async () => {
    const streamId = newStreamId();
    await bot.v1("POST", "/messages", { channelId: bot.agent.id, streamId, streamState: "streaming", text: "a" });
    await bot.v1("PATCH", `/messages/streams/${streamId}`, { channelId: bot.agent.id, text: "ab", complete: true });
    const timer = await runInDurableObject(room(bot.agent.id), (_o, state) => new Timers(state.storage).get(streamKey(streamId)));
    expect(timer).toBeUndefined();
  });
});

describe("live deltas and progress", () => {
  it("an agent socket's deltas reach the channel's subscribers in order, and no one else; a person may not send them", async () => {
    const ticket = await owner.as("POST", "/api/auth/ws-ticket", {});
    const person = await subscribed({ token: ticket.json.ticket }, bot.agent.id);
    const elsewhere = await subscribed({ apiKey: other.apiKey }, other.agent.id);
    const sender = await connectSocket();
    expect(await sender.sioConnect({ apiKey: bot.apiKey })).toMatch(/^40\/ws,/);
    const streamId = newStreamId();
    // Each with an ack, awaited: this harness's socket pump may hand the shard back-to-back frames out of
    // order (the e2e suite sends 50 unacknowledged through real sockets); here the room→shard leg is under test.
    for (let i = 0; i < 20; i++) {
      const delta = { channelId: bot.agent.id, streamId, delta: `t${i} `, ...(i === 19 ? { streamEnd: true } : {}) };
      sender.ws.send(`42/ws,${100 + i}${JSON.stringify(["message:delta", delta])}`);
      expect(await sender.next((f) => f.startsWith(`43/ws,${100 + i}[`))).toBe(`43/ws,${100 + i}[{"ok":true}]`);
    }
    sender.ws.send(`42/ws,${JSON.stringify(["message:progress", { channelId: bot.agent.id, content: "Searching the docs", toolHint: "search" }])}`);
    // Refused, silently: a bad payload, and a channel this key (another agent's) may not use.
    const scoped = await owner.as("POST", "/api/api-keys", { label: "other only", agentIds: [other.agent.id] });
    const outsider = await connectSocket();
    expect(await outsider.sioConnect({ apiKey: scoped.json.key })).toMatch(/^40\/ws,/);
    outsider.ws.send(`42/ws,1${JSON.stringify(["message:delta", { channelId: bot.agent.id, streamId, delta: "intruder" }])}`);
    expect(JSON.parse((await outsider.next((f) => f.startsWith("43/ws,1["))).slice("43/ws,1".length))).toEqual([{ ok: false }]);
    sender.ws.send(`42/ws,2${JSON.stringify(["message:delta", { channelId: bot.agent.id, streamId, delta: 5 }])}`);
    expect(JSON.parse((await sender.next((f) => f.startsWith("43/ws,2["))).slice("43/ws,2".length))).toEqual([{ ok: false }]);
    person.ws.send(`42/ws,3${JSON.stringify(["message:delta", { channelId: bot.agent.id, streamId, delta: "from a person" }])}`);
    expect(JSON.parse((await person.next((f) => f.startsWith("43/ws,3["))).slice("43/ws,3".length))).toEqual([{ ok: false }]);

    const deltas = await eventually(
      () => person.events().filter(([name]) => name === "message:delta"),
      (events) => events.length >= 20,
    );
    expect(deltas.map(([, d]) => d.delta)).toEqual(Array.from({ length: 20 }, (_, i) => `t${i} `));
    expect(deltas.at(-1)![1]).toEqual({ channelId: bot.agent.id, streamId, delta: "t19 ", streamEnd: true });
    await eventually(
      () => person.events().filter(([name]) => name === "message:progress"),
      (events) => events.length > 0,
    );
    expect(person.events().filter(([name]) => name === "message:progress")).toEqual([
      ["message:progress", { channelId: bot.agent.id, content: "Searching the docs", toolHint: "search" }],
    ]);
    await sleep(200);
    expect(elsewhere.events().filter(([name]) => name === "message:delta" || name === "message:progress")).toEqual([]);
    // Never stored: no message carries the deltas.
    const list = await bot.v1("GET", `/messages?channel=${bot.agent.id}&search=intruder`);
    expect(list.json.data).toEqual([]);
    for (const s of [person, elsewhere, sender, outsider]) s.ws.close();
  });
});
