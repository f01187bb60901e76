// The /ws namespace: what a connected client may say (the Placet Socket.IO guide) and what it is answered.
// Transport-free: the gateway hands in the session state and a `send`, and persists the state after.
import { principalForKey } from "../auth/api-key";
import { consumeTicket } from "../auth/tickets";
import { db } from "../db/client";
import type { Env, Principal } from "../env";
import { randomToken } from "../lib/crypto";
import { roomOf } from "../room";
import type { RoomEvent } from "../room/types";
import type { SubscribeAck, SubscribeManyAck } from "../../contract/events";
import { LIMITS } from "../../contract/limits";
import { deltaEvent, progressEvent } from "../../contract/requests/message";
import { subscribeArg, subscribeManyArg, subscriptionOf } from "../../contract/requests/socket";
import { usableAgentIds } from "../services/agents";
import { listMessages } from "../services/messages";
import { channelEventPacket, CONNECT_TIMEOUT_MS, eventPacket, NAMESPACE, PacketType, socketPacket, type SocketPacket } from "./protocol";
import type { SessionState } from "./session";

type Send = (frame: string) => void;

/** Replayed `message:created` events per channel of a subscribe, at most. */
const REPLAY_LIMIT = 100;
/** Rooms told of a new subscriber at once, by one subscribe:channels. */
const JOIN_CONCURRENCY = 16;

/** Who a CONNECT's `auth` names: an agent by its API key, or a person by a ws-ticket (spent here). */
export type Authenticated = Pick<SessionState, "principal" | "audience" | "session">;

export async function authenticate(env: Env, auth: unknown): Promise<Authenticated | undefined> {
  const { apiKey, token } = (auth ?? {}) as { apiKey?: unknown; token?: unknown };
  if (typeof apiKey === "string") {
    const principal = await principalForKey(env, apiKey);
    return principal && { principal, audience: "agent" };
  }
  if (typeof token === "string") {
    const holder = await consumeTicket(env, token);
    return (
      holder && {
        principal: { userId: holder.userId, role: holder.role, agentIds: null },
        audience: "person",
        session: { hash: holder.sessionHash, expiresAt: holder.sessionExpiresAt },
      }
    );
  }
  return undefined;
}

/** This session's channels (the shard's subscriptions.ts, bound to the session). */
export interface SessionChannels {
  has(channelId: string): boolean;
  /** Returns the channels that were not followed yet. */
  add(channelIds: readonly string[]): string[];
  remove(channelId: string): boolean;
  clear(): void;
}

interface NamespaceHooks {
  /** Checks a CONNECT's credential (the gateway's, which also watches for revocations meanwhile). */
  authenticate(auth: unknown): Promise<Authenticated | undefined>;
  /** A socket of this shard now follows the channel: the room must send the shard its events. */
  joined(channelId: string): Promise<void>;
  channels: SessionChannels;
}

/** The live events an agent's socket may send: relayed to the channel, never stored. */
const RELAYED = { "message:delta": deltaEvent, "message:progress": progressEvent } as const;
type RelayedEvent = Extract<RoomEvent, { name: keyof typeof RELAYED }>;

/** Channels a socket was found allowed to relay to without subscribing, remembered (the attachment is small: 2 KB). */
const MAX_RELAY_CHANNELS = 8;

/** Handles one Socket.IO packet. Returns true when the session state changed. */
export async function handlePacket(env: Env, state: SessionState, packet: SocketPacket, send: Send, hooks: NamespaceHooks): Promise<boolean> {
  if (packet.type === PacketType.BINARY_EVENT || packet.type === PacketType.BINARY_ACK) {
    throw new Error("binary packets are not supported");
  }
  if (packet.nsp !== NAMESPACE) {
    if (packet.type === PacketType.CONNECT) send(socketPacket({ type: PacketType.CONNECT_ERROR, nsp: packet.nsp, data: { message: "Invalid namespace" } }));
    return false;
  }
  switch (packet.type) {
    case PacketType.CONNECT: {
      const who = await hooks.authenticate(packet.data);
      if (!who) {
        send(socketPacket({ type: PacketType.CONNECT_ERROR, data: { message: "unauthorized" } }));
        return false;
      }
      delete state.session; // a second CONNECT replaces the first credential entirely
      delete state.connectBy;
      delete state.relayChannels;
      hooks.channels.clear();
      Object.assign(state, who, { socketId: randomToken(15) });
      send(socketPacket({ type: PacketType.CONNECT, data: { sid: state.socketId } }));
      return true;
    }
    case PacketType.DISCONNECT:
      // The Engine.IO session stays open without a socket: it has a CONNECT deadline again.
      delete state.socketId;
      delete state.principal;
      delete state.session;
      delete state.relayChannels;
      hooks.channels.clear();
      state.connectBy = Date.now() + CONNECT_TIMEOUT_MS;
      return true;
    case PacketType.EVENT:
      if (!state.socketId || !state.principal) return false;
      return onEvent(env, state, state.principal, packet, send, hooks);
    default:
      return false;
  }
}

async function onEvent(env: Env, state: SessionState, principal: Principal, packet: SocketPacket, send: Send, hooks: NamespaceHooks) {
  const [name, arg] = (Array.isArray(packet.data) ? packet.data : []) as [unknown, unknown];
  const ack = (value: unknown) => {
    if (packet.id !== undefined) send(socketPacket({ type: PacketType.ACK, id: packet.id, data: [value] }));
  };
  switch (name) {
    case "ping":
      send(eventPacket("pong"));
      ack({ ok: true });
      return false;
    case "subscribe:channel": {
      const parsed = subscribeArg.safeParse(arg);
      const sub = parsed.success ? subscriptionOf(parsed.data) : undefined;
      const allowed = sub && (await mayUse(env, principal, sub.channelId));
      if (!sub || !allowed) {
        ack({ ok: false, error: "not found" } satisfies SubscribeAck); // a foreign channel is refused without saying it exists
        return false;
      }
      await follow(hooks, [sub.channelId]);
      ack({ ok: true, channelId: sub.channelId } satisfies SubscribeAck);
      await replay(env, state, principal, [sub], send);
      return false;
    }
    case "subscribe:channels": {
      const parsed = subscribeManyArg.safeParse(arg);
      if (!parsed.success) {
        ack({ ok: false, error: `a list of 1 to ${LIMITS.channelsPerSubscribe} channel ids or {channelId, after}` } satisfies SubscribeManyAck);
        return false;
      }
      const subs = parsed.data.map(subscriptionOf);
      const usable = await usableAgentIds(
        db(env.DB),
        principal,
        subs.map((s) => s.channelId),
      );
      const followed = subs.filter((s) => usable.has(s.channelId));
      await follow(
        hooks,
        followed.map((s) => s.channelId),
      );
      const refused = subs.filter((s) => !usable.has(s.channelId)).map((s) => s.channelId);
      ack({ ok: true, channelIds: followed.map((s) => s.channelId), refused } satisfies SubscribeManyAck);
      await replay(env, state, principal, followed, send);
      return false;
    }
    case "message:delta":
    case "message:progress": {
      const relayed = await relay(env, state, principal, hooks, name, arg);
      ack({ ok: relayed !== false });
      return relayed === "remembered";
    }
    case "unsubscribe:channel": {
      const parsed = subscribeArg.safeParse(arg);
      if (parsed.success) hooks.channels.remove(subscriptionOf(parsed.data).channelId);
      ack({ ok: true });
      return false;
    }
    default:
      ack({ ok: false, error: `unknown event ${String(name)}` });
      return false;
  }
}

/**
 * Relays an agent's live event to everyone subscribed to its channel; anything refused (a person's socket,
 * a bad payload, a channel the key may not use) is dropped silently. The channel check is
 * subscribe's (usableAgentIds), asked once per channel: a channel the socket subscribed to passed it
 * already, and others it passes are remembered in the session. Returns false when dropped,
 * "remembered" when the session state changed.
 *
 * The path: this shard → the channel's room → each shard with subscribers (ChannelRoom.relay says why).
 * Awaiting the room before the socket's next frame (the gateway handles one socket's frames one at a
 * time) keeps one stream's deltas in the order the agent sent them.
 */
async function relay(
  env: Env,
  state: SessionState,
  principal: Principal,
  hooks: NamespaceHooks,
  name: keyof typeof RELAYED,
  arg: unknown,
): Promise<boolean | "remembered"> {
  if (state.audience !== "agent") return false;
  const parsed = RELAYED[name].safeParse(arg);
  if (!parsed.success) return false;
  const { channelId } = parsed.data;
  let remembered = false;
  if (!hooks.channels.has(channelId) && !state.relayChannels?.includes(channelId)) {
    if (!(await mayUse(env, principal, channelId))) return false;
    state.relayChannels = [...(state.relayChannels ?? []), channelId].slice(-MAX_RELAY_CHANNELS);
    remembered = true;
  }
  const event = { channelId, name, data: parsed.data } as RelayedEvent;
  try {
    await roomOf(env, channelId).relay(event);
  } catch {
    return false; // the room is briefly unreachable: a live token is not worth an error
  }
  return remembered ? "remembered" : true;
}

/** Follows the channels; each newly followed one is reported to the shard's `joined` (16 at a time). */
async function follow(hooks: NamespaceHooks, channelIds: readonly string[]) {
  const added = hooks.channels.add(channelIds);
  for (let i = 0; i < added.length; i += JOIN_CONCURRENCY) await Promise.all(added.slice(i, i + JOIN_CONCURRENCY).map((c) => hooks.joined(c)));
}

/** Sends what each subscription with `after` missed: up to REPLAY_LIMIT messages a channel, channel by channel. */
async function replay(env: Env, state: SessionState, principal: Principal, subs: readonly { channelId: string; after?: number }[], send: Send) {
  for (const { channelId, after } of subs) {
    if (after === undefined) continue;
    // A person's channel may be an agent they are a member of (its messages carry the owner's id).
    const members = principal.keyId === undefined;
    const missed = await listMessages(
      db(env.DB),
      { userId: principal.userId, members, channelIds: [channelId], after, limit: REPLAY_LIMIT },
      state.audience ?? "agent",
    );
    for (const message of missed.data) send(channelEventPacket("message:created", message));
  }
}

/**
 * Whether the credential may use the channel: subscribe's check, and relay's for a channel it did not
 * subscribe to. A person may follow the agents they own or are a member of; an API key, its owner's.
 */
const mayUse = async (env: Env, principal: Principal, channelId: string) => (await usableAgentIds(db(env.DB), principal, [channelId])).has(channelId);

/** Tells the channel's room that this shard has a subscriber. */
export const registerWithRoom = (env: Env, channelId: string, shard: string) => roomOf(env, channelId).addGateway(shard);
