// Raw Engine.IO / Socket.IO clients inside workerd: a WebSocket to the gateway that records frames.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { BASE } from "./helpers";
import { sleep } from "../common";

export type RawSocket = Awaited<ReturnType<typeof connectSocket>>;

/**
 * Opens an Engine.IO WebSocket session: through the Worker (a random shard, as clients get), or
 * straight to the named shard's Durable Object (as the Worker would route it).
 */
export async function connectSocket(shard?: string) {
  const url = `${BASE}/socket.io/?EIO=4&transport=websocket`;
  const res = shard
    ? await shardStub(shard).fetch(new Request(url, { headers: { Upgrade: "websocket", "x-nod-shard": shard } }))
    : await exports.default.fetch(new Request(url, { headers: { Upgrade: "websocket" } }));
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const frames: string[] = [];
  const waiters: (() => void)[] = [];
  let closed: { code: number; at: number } | undefined;
  ws.addEventListener("message", (e) => {
    frames.push(typeof e.data === "string" ? e.data : "<binary>");
    for (const w of waiters.splice(0)) w();
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code, at: Date.now() };
    for (const w of waiters.splice(0)) w();
  });
  ws.accept();
  const next = async (match: (f: string) => boolean, timeoutMs = 3000): Promise<string> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = frames.findIndex(match);
      if (i >= 0) return frames.splice(i, 1)[0]!;
      if (closed || Date.now() > until) throw new Error(`no matching frame; got ${JSON.stringify(frames)} closed=${JSON.stringify(closed)}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(50)]);
    }
  };
  /** Resolves once the server closed the socket (or after timeoutMs, with undefined). */
  const whenClosed = async (timeoutMs = 3000) => {
    const until = Date.now() + timeoutMs;
    while (!closed && Date.now() < until) await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(20)]);
    return closed;
  };
  const open = JSON.parse((await next((f) => f.startsWith("0"))).slice(1)) as { sid: string };
  /** Sends the Socket.IO CONNECT and returns the server's answer (40… or 44…). */
  const sioConnect = async (auth: Record<string, unknown>) => {
    ws.send(`40/ws,${JSON.stringify(auth)}`);
    return next((f) => f.startsWith("40/ws") || f.startsWith("44/ws"));
  };
  let ackId = 0;
  /** subscribe:channel with an ack; returns the ack's payload. */
  const subscribe = async (arg: unknown) => {
    const id = ++ackId;
    ws.send(`42/ws,${id}${JSON.stringify(["subscribe:channel", arg])}`);
    return JSON.parse((await next((f) => f.startsWith(`43/ws,${id}[`))).slice(`43/ws,${id}`.length))[0] as { ok: boolean };
  };
  /** The Socket.IO events received so far, as [name, data]. */
  const events = () => frames.filter((f) => f.startsWith("42/ws,")).map((f) => JSON.parse(f.slice("42/ws,".length)) as [string, any]);
  return { ws, open, next, frames, events, sioConnect, subscribe, whenClosed, closed: () => closed };
}

export const shardOf = (sid: string) => `gw:${sid.split("-")[0]}`;
export const shardStub = (shard: string) => env.GATEWAY.get(env.GATEWAY.idFromName(shard));

/** The shard's scheduled alarm (ms), or null. */
export const alarmOf = (shard: string) => runInDurableObject(shardStub(shard), (_instance, state) => state.storage.getAlarm());
