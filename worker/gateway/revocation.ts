// Ending credentials that sockets hold: a revoked API key, a session that ended (logout, password
// change, demotion, expiry), a deleted user, a person removed from an agent. Sockets authenticate once,
// at CONNECT, and check a channel once, at subscribe, so whatever ends a credential (or a person's access
// to a channel) must also close the sockets it opened, on every gateway shard.
import type { Env, Principal } from "../env";
import { logError } from "../lib/log";
import { allShards, gatewayOf } from "./shards";

export type Revocation =
  /** An API key was revoked or rotated. */
  | { kind: "key"; keyId: string }
  /** One session ended (logout). */
  | { kind: "session"; sessionHash: string }
  /** Every session of the user ended, but `except` (the one that changed the password) if given. */
  | { kind: "user-sessions"; userId: string; except?: string }
  /** The user is gone: their sessions and their API keys. */
  | { kind: "user"; userId: string }
  /**
   * The person was removed from an agent's members: their sockets may follow its channel. Each of their
   * connected person sockets is closed; the client reconnects (a fresh ticket, the same session) and
   * subscribes again, and the agent is then refused. A CONNECT in flight follows nothing yet and is spared.
   */
  | { kind: "membership"; userId: string; agentId: string };

/** What a socket authenticated as: the fields of its session state that revocations look at. */
interface Credential {
  principal?: Principal;
  /** A person's socket: the SHA-256 of the session its ticket came from (as D1 keeps it). */
  session?: { hash: string; expiresAt: number };
  /** Set once the Socket.IO CONNECT succeeded (a live socket's state; absent while a CONNECT is checked). */
  socketId?: string;
}

export function revokes(r: Revocation, who: Credential): boolean {
  switch (r.kind) {
    case "key":
      return who.principal?.keyId === r.keyId;
    case "session":
      return who.session?.hash === r.sessionHash;
    case "user-sessions":
      return who.principal?.userId === r.userId && who.session !== undefined && who.session.hash !== r.except;
    case "user":
      return who.principal?.userId === r.userId;
    case "membership":
      return who.principal?.userId === r.userId && who.principal.keyId === undefined && who.session !== undefined && who.socketId !== undefined;
  }
}

/** What the socket is told before it is closed. */
export function revocationMessage(r: Revocation): string {
  switch (r.kind) {
    case "key":
      return "API key revoked";
    case "user":
      return "user deleted";
    case "membership":
      return "removed from an agent: reconnect";
    default:
      return "session ended";
  }
}

/**
 * Closes the sockets a revocation covers on every shard, before the caller answers. A shard that
 * cannot be reached is logged, not fatal: the credential is already gone from D1, so the socket
 * cannot come back, and the shard's own sweep (each heartbeat, see Gateway.alarm) closes session
 * sockets whose session is gone.
 */
export async function revokeEverywhere(env: Env, revocation: Revocation): Promise<number> {
  const results = await Promise.allSettled(allShards(env).map((shard) => gatewayOf(env, shard).revoke(revocation)));
  let closed = 0;
  for (const result of results) {
    if (result.status === "fulfilled") closed += result.value;
    else logError(`revoking sockets (${revocation.kind}) failed on a gateway shard`, result.reason);
  }
  return closed;
}
