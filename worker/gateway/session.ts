// What the gateway knows about one Engine.IO session. For a WebSocket it is the socket's attachment
// (so hibernation loses nothing); for a polling session it lives in memory until it upgrades. Its
// channels are not here: they can outgrow an attachment's 16 KiB (subscriptions.ts keeps them).
import type { Principal } from "../env";
import { CONNECT_TIMEOUT_MS } from "./protocol";

export interface SessionState {
  /** Engine.IO session id; its prefix names the gateway shard (see shards.ts). */
  sid: string;
  shard: string;
  /** Socket.IO id in the /ws namespace, once CONNECT succeeded. */
  socketId?: string;
  principal?: Principal;
  /** A person (ws-ticket) sees masked password answers; an agent (API key) sees everything. */
  audience?: "agent" | "person";
  /**
   * A person's socket: the session its ws-ticket was issued to (SHA-256, as D1 keeps it) and when
   * that session expires (ms). The socket ends with the session.
   */
  session?: { hash: string; expiresAt: number };
  /** Channels this agent socket may send message:delta / message:progress to without being subscribed (checked once). */
  relayChannels?: string[];
  lastSeen: number;
  /** Set while no Socket.IO CONNECT succeeded: when the gateway gives up on the session (ms). */
  connectBy?: number;
}

export const newSession = (sid: string, shard: string): SessionState => {
  const now = Date.now();
  return { sid, shard, lastSeen: now, connectBy: now + CONNECT_TIMEOUT_MS };
};
