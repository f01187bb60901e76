// Streamed replies against the real server (wrangler dev) with stock socket.io-client: an agent's socket
// streams 50 deltas and a progress line; the person's socket (ws-ticket from the owner's cookie) and
// another agent socket on the channel get all of them, in order; a socket on another channel gets none;
// deltas for a channel the key cannot use reach no one. And a draft POSTed, PATCHed and completed, as a
// reload (GET /messages) shows it mid-stream and at the end.
import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, inject, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";
import { sleep } from "../common";

const open = new Set<Socket>();
afterEach(() => {
  for (const s of open) s.disconnect();
  open.clear();
});

interface Seen {
  name: string;
  data: any;
}

/** A connected socket.io-client socket on /ws recording every event, subscribed to `channelId` if given. */
async function socketOf(auth: Record<string, unknown>, channelId?: string, transports?: string[]) {
  const socket = io(`${nodUrl()}/ws`, { auth, forceNew: true, ...(transports ? { transports } : {}) });
  open.add(socket);
  const seen: Seen[] = [];
  socket.onAny((name: string, data: unknown) => seen.push({ name, data }));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
  });
  if (channelId) expect(await socket.timeout(10_000).emitWithAck("subscribe:channel", channelId)).toMatchObject({ ok: true });
  return { socket, seen, named: (name: string) => seen.filter((e) => e.name === name).map((e) => e.data) };
}

async function until<T>(read: () => T, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (done(v) || Date.now() > end) return v;
    await sleep(25);
  }
}

async function asAgent(apiKey: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${nodUrl()}/api/v1${path}`, {
    method,
    headers: { "x-api-key": apiKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function personTicket(): Promise<string> {
  const res = await fetch(`${nodUrl()}/api/auth/ws-ticket`, {
    method: "POST",
    headers: { cookie: inject("ownerCookie"), origin: nodUrl(), "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { ticket: string }).ticket;
}

// The clients' default (polling, then upgrade) and WebSocket from the first frame.
describe.each([
  ["default transports", undefined],
  ["websocket only", ["websocket"]],
])("live deltas and progress over Socket.IO (%s)", (_name, transports) => {
  it("50 deltas reach the person and another agent socket on the channel in order; another channel gets none; a foreign channel's reach no one", async () => {
    const a = await newAgent("Streaming agent");
    const b = await newAgent("Bystander agent");
    const secondKey = await asOwner("POST", "/api/api-keys", { label: "second key of A", agentIds: [a.channelId] });
    expect(secondKey.status).toBe(201);

    const person = await socketOf({ token: await personTicket() }, a.channelId);
    const watcher = await socketOf({ apiKey: secondKey.json.key }, a.channelId);
    const bystander = await socketOf({ apiKey: b.apiKey }, b.channelId);
    const sender = await socketOf({ apiKey: a.apiKey }, undefined, transports); // not subscribed: sending needs no subscription
    const intruder = await socketOf({ apiKey: b.apiKey });

    const streamId = `answer-${Date.now()}`;
    // An agent of another channel tries first: dropped silently, before and between the real ones.
    intruder.socket.emit("message:delta", { channelId: a.channelId, streamId, delta: "INTRUDER " });
    for (let i = 0; i < 50; i++)
      sender.socket.emit("message:delta", { channelId: a.channelId, streamId, delta: `tok${i} `, ...(i === 49 ? { streamEnd: true } : {}) });
    sender.socket.emit("message:progress", { channelId: a.channelId, content: "Reading the runbook", toolHint: "read_file", streamId });
    intruder.socket.emit("message:progress", { channelId: a.channelId, content: "INTRUDER progress" });
    // The person's socket may not send them either.
    expect(await person.socket.timeout(10_000).emitWithAck("message:delta", { channelId: a.channelId, streamId, delta: "PERSON " })).toEqual({ ok: false });

    const expected = Array.from({ length: 50 }, (_, i) => `tok${i} `);
    for (const receiver of [person, watcher]) {
      const deltas = await until(
        () => receiver.named("message:delta"),
        (d) => d.length >= 50,
      );
      expect(deltas.map((d) => d.delta)).toEqual(expected);
      expect(deltas.every((d) => d.channelId === a.channelId && d.streamId === streamId)).toBe(true);
      expect(deltas.at(-1)).toMatchObject({ streamEnd: true });
      const progress = await until(
        () => receiver.named("message:progress"),
        (p) => p.length >= 1,
      );
      expect(progress).toEqual([{ channelId: a.channelId, content: "Reading the runbook", toolHint: "read_file", streamId }]);
    }
    await sleep(500); // anything stray would have arrived by now
    expect(bystander.named("message:delta")).toEqual([]);
    expect(bystander.named("message:progress")).toEqual([]);
    expect(person.named("message:delta").filter((d) => /INTRUDER|PERSON/.test(d.delta))).toEqual([]);
    expect(person.named("message:progress")).toHaveLength(1);
    // Never stored.
    const list = await asAgent(a.apiKey, "GET", `/messages?channel=${a.channelId}`);
    expect(list.json.data).toEqual([]);
  });
});

describe("a streamed draft", () => {
  it("POST a draft, PATCH three times, complete: a reload shows the draft mid-stream and the final text at the end", async () => {
    const a = await newAgent("Drafting agent");
    const person = await socketOf({ token: await personTicket() }, a.channelId);
    const streamId = "reply.1";
    const draft = await asAgent(a.apiKey, "POST", "/messages", { channelId: a.channelId, streamId, streamState: "streaming", text: "" });
    expect(draft.status).toBe(201);
    expect((await asAgent(a.apiKey, "POST", "/messages", { channelId: a.channelId, streamId, streamState: "streaming", text: "" })).json.id).toBe(
      draft.json.id,
    );

    let text = "";
    for (const part of ["Checked ", "the logs; ", "nothing failed."]) {
      text += part;
      // channelId left out: the key reaches one agent.
      const res = await asAgent(a.apiKey, "PATCH", `/messages/streams/${streamId}`, { text });
      expect(res.status).toBe(200);
    }
    const mid = await asOwner("GET", `/api/messages?channel=${a.channelId}`);
    expect(mid.json.data).toEqual([expect.objectContaining({ id: draft.json.id, text, streamState: "streaming" })]);

    const done = await asAgent(a.apiKey, "PATCH", `/messages/streams/${streamId}`, { text: `${text} Closing.`, complete: true });
    expect(done.json).toMatchObject({ streamState: "complete", text: `${text} Closing.` });
    const end = await asAgent(a.apiKey, "GET", `/messages?channel=${a.channelId}`);
    expect(end.json.data).toEqual([expect.objectContaining({ id: draft.json.id, text: `${text} Closing.`, streamState: "complete" })]);
    expect((await asAgent(a.apiKey, "PATCH", `/messages/streams/${streamId}`, { text: "more" })).status).toBe(409);

    const updates = await until(
      () => person.named("message:updated"),
      (u) => u.length >= 4,
    );
    expect(updates.map((u) => [u.text, u.streamState])).toEqual([
      ["Checked ", "streaming"],
      ["Checked the logs; ", "streaming"],
      ["Checked the logs; nothing failed.", "streaming"],
      ["Checked the logs; nothing failed. Closing.", "complete"],
    ]);
    expect(person.named("message:created").filter((m) => m.id === draft.json.id)).toHaveLength(1);
  });
});
