// Live updates over Socket.IO. socket.io-client loads after sign-in (its own chunk); each (re)connect
// gets a fresh single-use ticket, subscribes to every agent at once, and asks for what it missed by seq.
import type { Socket } from "socket.io-client";
import type { ChannelEventListeners, ClientEvents } from "../../../contract/events";
import { LIMITS } from "../../../contract/limits";
import { api } from "./api";
import { emit } from "./bus";
import { agents, lastSeq, sawMessage } from "./state";

import { setLiveState } from "./live-state";

let socket: Socket<ChannelEventListeners, ClientEvents> | undefined;
let starting: Promise<void> | undefined;
const subscribed = new Set<string>();
let connectedOnce = false;

/**
 * Subscriptions and their ends go one at a time, each waiting for its ack: the gateway handles one
 * socket's frames in order, and "live" means every subscription so far was acknowledged. Many channels
 * go in one `subscribe:channels` (up to 1,000 a frame, one access check for all of them), each with
 * the last seq this page saw, so the gateway replays what was missed.
 */
let queue: Promise<unknown> = Promise.resolve();
function subscribe(channelIds: readonly string[]) {
  for (const id of channelIds) subscribed.add(id);
  queue = queue.then(async () => {
    for (let i = 0; i < channelIds.length; i += LIMITS.channelsPerSubscribe) {
      const s = socket;
      if (!s?.connected) return;
      const chunk = channelIds
        .slice(i, i + LIMITS.channelsPerSubscribe)
        .filter((id) => subscribed.has(id))
        .map((channelId) => {
          const after = lastSeq.get(channelId);
          return after === undefined ? channelId : { channelId, after };
        });
      if (chunk.length) await new Promise<void>((resolve) => s.timeout(10_000).emit("subscribe:channels", chunk, () => resolve()));
    }
  });
}

/** The most recently active agents first (then the newest): the chats in use go live before the rest. */
const recentFirst = <A extends { lastActiveAt: string | null; createdAt: string }>(list: readonly A[]) =>
  [...list].sort((a, b) => (b.lastActiveAt ?? b.createdAt).localeCompare(a.lastActiveAt ?? a.createdAt));

/** Keeps the subscriptions in step with the agent list (new agents, deleted ones). */
export function syncSubscriptions() {
  if (!socket?.connected) return;
  const ids = new Set(agents.map((a) => a.id));
  const added = [...ids].filter((id) => !subscribed.has(id));
  if (added.length) subscribe(added);
  for (const id of [...subscribed]) {
    if (!ids.has(id)) {
      subscribed.delete(id);
      const s = socket;
      queue = queue.then(() => new Promise<void>((resolve) => s.timeout(10_000).emit("unsubscribe:channel", id, () => resolve())));
    }
  }
}

export function startLive(): Promise<void> {
  if (starting) return starting;
  setLiveState("connecting");
  starting = import("socket.io-client").then(({ io }) => {
    socket = io("/ws", {
      path: "/socket.io/",
      // A function, so every reconnection asks for a fresh ticket (single-use, bound to this session).
      // A 401 means the session ended (signed out elsewhere, password changed): the app shows sign-in.
      auth: (cb) => {
        api
          .post<{ ticket: string }>("/api/auth/ws-ticket", {})
          .then(({ ticket }) => cb({ token: ticket }))
          .catch(() => cb({}));
      },
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    socket.on("connect", () => {
      const s = socket!;
      subscribed.clear();
      queue = Promise.resolve();
      // The ones in use first: a person with thousands of agents sends more than one frame.
      subscribe(recentFirst(agents).map((a) => a.id));
      // "live" once every subscription is acknowledged: from then on, events arrive.
      void queue.then(() => {
        if (!s.connected) return;
        setLiveState("live");
        if (connectedOnce) emit("resync", undefined);
        connectedOnce = true;
      });
    });
    socket.on("disconnect", () => setLiveState("reconnecting"));
    socket.on("connect_error", () => {
      setLiveState("reconnecting");
      // A refused CONNECT (e.g. the ticket could not be fetched) is not retried by the client itself.
      const s = socket;
      if (s && !s.active) setTimeout(() => socket === s && !s.connected && s.connect(), 3000);
    });
    socket.on("message:created", (m) => {
      sawMessage(m);
      emit("message:created", m);
    });
    socket.on("review:responded", (m) => emit("review:responded", m));
    socket.on("message:deleted", (d) => emit("message:deleted", d));
    socket.on("review:expired", (d) => emit("review:expired", d));
    socket.on("message:delivery", (d) => emit("message:delivery", d));
    socket.on("agent:status", (d) => emit("agent:status", d));
    socket.on("agent:commands", (d) => emit("agent:commands", d));
    // Streamed replies: the stored draft changed, its live tokens, and what the agent is doing.
    socket.on("message:updated", (m) => emit("message:updated", m));
    socket.on("message:delta", (d) => emit("message:delta", d));
    socket.on("message:progress", (d) => emit("message:progress", d));
  });
  return starting;
}

export function stopLive() {
  socket?.disconnect();
  socket = undefined;
  starting = undefined;
  connectedOnce = false;
  subscribed.clear();
  setLiveState("off");
}
