// The /ws namespace: what a connected client may say (the Placet Socket.IO guide) and what it is answered.
// Transport-free: the gateway hands in the session state and a `send`, and persists the state after.
import { principalForKey } from "../auth/api-key";
import { consumeTicket } from "../auth/tickets";
import { db } from "../db/client";
import type { Env, Principal } from "../env";
import { randomToken } from "../lib/crypto";
import { roomOf } from "../room";
import type { RoomEvent } from "../room/types";
import { deltaEvent, progressEvent } from "../../contract/requests/message";
import { ownAgent } from "../services/agents";
import { listMessages } from "../services/messages";
import { channelEventPacket, CONNECT_TIMEOUT_MS, eventPacket, NAMESPACE, PacketType, socketPacket, type SocketPacket } from "./protocol";
import type { SessionState } from "./session";

type Send = (frame: string) => void;

/** Replayed `message:created` events per subscribe, at most. */
const REPLAY_LIMIT = 100;

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

/** `subscribe:channel` takes a channel id, or `{channelId, after}` to replay what was missed. */
function subscription(arg: unknown): { channelId: string; after?: number } | undefined {
  if (typeof arg === "string" && arg) return { channelId: arg };
  const { channelId, after } = (arg ?? {}) as { channelId?: unknown; after?: unknown };
  if (typeof channelId !== "string" || !channelId) return undefined;
  return { channelId, ...(typeof after === "number" && Number.isInteger(after) && after >= 0 ? { after } : {}) };
}

interface NamespaceHooks {
  /** Checks a CONNECT's credential (the gateway's, which also watches for revocations meanwhile). */
  authenticate(auth: unknown): Promise<Authenticated | undefined>;
  /** The first socket of this shard on a channel: the room must start sending it events. */
  joined(channelId: string): Promise<void>;
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
      Object.assign(state, who, { socketId: randomToken(15), channels: [] });
      send(socketPacket({ type: PacketType.CONNECT, data: { sid: state.socketId } }));
      return true;
    }
    case PacketType.DISCONNECT:
      // The Engine.IO session stays open without a socket: it has a CONNECT deadline again.
      delete state.socketId;
      delete state.principal;
      delete state.session;
      delete state.relayChannels;
      state.channels = [];
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
      const sub = subscription(arg);
      const allowed = sub && (await mayUse(env, principal, sub.channelId));
      if (!sub || !allowed) {
        ack({ ok: false, error: "not found" }); // a foreign channel is refused without saying it exists
        return false;
      }
      const added = !state.channels.includes(sub.channelId);
      if (added) {
        state.channels.push(sub.channelId);
        await hooks.joined(sub.channelId);
      }
      ack({ ok: true, channelId: sub.channelId });
      if (sub.after !== undefined) {
        const missed = await listMessages(
          db(env.DB),
          { userId: principal.userId, channelIds: [sub.channelId], after: sub.after, limit: REPLAY_LIMIT },
          state.audience ?? "agent",
        );
        for (const message of missed.data) send(channelEventPacket("message:created", message));
      }
      return added;
    }
    case "message:delta":
    case "message:progress": {
      const relayed = await relay(env, state, principal, name, arg);
      ack({ ok: relayed !== false });
      return relayed === "remembered";
    }
    case "unsubscribe:channel": {
      const channelId = subscription(arg)?.channelId;
      const before = state.channels.length;
      state.channels = state.channels.filter((c) => c !== channelId);
      ack({ ok: true });
      return state.channels.length !== before;
    }
    default:
      ack({ ok: false, error: `unknown event ${String(name)}` });
      return false;
  }
}

/**
 * Relays an agent's live event to everyone subscribed to its channel; anything refused (a person's socket,
 * a bad payload, a channel the key may not use) is dropped silently. The channel check is
 * subscribe:channel's (ownAgent), asked once per channel: a channel the socket subscribed to passed it
 * already, and others it passes are remembered in the session. Returns false when dropped,
 * "remembered" when the session state changed.
 *
 * The path: this shard → the channel's room → each shard with subscribers (ChannelRoom.relay says why).
 * Awaiting the room before the socket's next frame (the gateway handles one socket's frames one at a
 * time) keeps one stream's deltas in the order the agent sent them.
 */
async function relay(env: Env, state: SessionState, principal: Principal, name: keyof typeof RELAYED, arg: unknown): Promise<boolean | "remembered"> {
  if (state.audience !== "agent") return false;
  const parsed = RELAYED[name].safeParse(arg);
  if (!parsed.success) return false;
  const { channelId } = parsed.data;
  let remembered = false;
  if (!state.channels.includes(channelId) && !state.relayChannels?.includes(channelId)) {
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

/** Whether the credential may use the channel: subscribe's check, and relay's for a channel it did not subscribe to. */
const mayUse = (env: Env, principal: Principal, channelId: string) =>
  ownAgent(db(env.DB), principal, channelId).then(
    () => true,
    () => false,
  );

/** Tells the channel's room that this shard has a subscriber. */
export const registerWithRoom = (env: Env, channelId: string, shard: string) => roomOf(env, channelId).addGateway(shard);
