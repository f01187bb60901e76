// What the gateway knows about one Engine.IO session. For a WebSocket it is the socket's attachment
// (so hibernation loses nothing); for a polling session it lives in memory until it upgrades.
import type { Principal } from "../env";

export interface SessionState {
  /** Engine.IO session id; its prefix names the gateway shard (see shards.ts). */
  sid: string;
  shard: string;
  /** Socket.IO id in the /ws namespace, once CONNECT succeeded. */
  socketId?: string;
  principal?: Principal;
  /** A person (ws-ticket) sees masked password answers; an agent (API key) sees everything. */
  audience?: "agent" | "person";
  channels: string[];
  lastSeen: number;
}

export const newSession = (sid: string, shard: string): SessionState => ({ sid, shard, channels: [], lastSeen: Date.now() });
