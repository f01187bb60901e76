// Who may use this channel, as its room knows it: the API keys and the people's sessions that used it lately,
// the channel's owner and its members. Kept so that an agent's post or wait, and a person's answer, need no D1
// read before the room's own work (issue 19: in production each read is a round trip to D1's region).
//
// Why it cannot admit a caller it should refuse:
// - An agent never changes hands; it is deleted through its room (destroy) or with its owner (forget below).
// - A key's principal changes only when the key is revoked or rotated (its old hash then finds nothing) or its
//   user is deleted; a session's when it ends (logout, a password change or reset), expires (kept here with its
//   expiry), or its user is changed (name, role) or deleted; the members when one is added or removed. Each of
//   those calls forget(userId) on the room of every channel the user could reach before it answers
//   (forgetCallers and forgetUser in room/index.ts), so the room's next request reads D1.
// - A read that was in flight when forget ran may have found what was true before: it is not kept (the
//   generation moved on), so it cannot bring a revoked credential back.
// - Should a revocation fail to reach a room, what it knows of a caller is trusted CALLER_TTL_MS at most.
import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { agentMembers, agents } from "../db/schema";
import type { Caller, Principal } from "../env";
import { lastUseIsStale, principalOfRow, principalQuery, touchKey, type KeyRow } from "../auth/api-key";
import { personOf, sessionQuery, type SessionRow } from "../auth/session";
import { canUseAgent } from "../services/agents";
import type { Refused } from "./types";

/** Callers kept per room, at most (the oldest goes first). */
const MAX_CALLERS = 256;
/** How long a caller's principal is trusted without reading D1 again (the bound should a revocation not reach the room). */
const CALLER_TTL_MS = 5 * 60_000;

interface KnownCaller {
  principal: Principal;
  readAt: number;
  /** A session's end. */
  expiresAt: number;
  /** A key's: when D1 last recorded its use ("last used" to the minute, as apiKeyAuth records it). */
  usedAt: number;
}

type Credential = Exclude<Caller, { principal: Principal }>;
const hashOf = (credential: Credential) => ("keyHash" in credential ? `key:${credential.keyHash}` : `session:${credential.sessionHash}`);

const ownerQuery = (d: Db, channelId: string) => d.select({ userId: agents.userId }).from(agents).where(eq(agents.id, channelId));
const membersQuery = (d: Db, channelId: string) => d.select({ userId: agentMembers.userId }).from(agentMembers).where(eq(agentMembers.agentId, channelId));

const refused = (status: 401 | 404, message: string): Refused => ({ ok: false, status, message });

export class RoomAccess {
  private readonly callers = new Map<string, KnownCaller>();
  /** The channel's owner, once read. */
  private owner: string | undefined;
  /** Its members (people who may read and answer, besides the owner), once read. */
  private members: Set<string> | undefined;
  /** Moves on every forget: a read that started before one is not kept. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  /**
   * The caller's principal if it may use `channelId` (this room's channel): an API key its owner's channel in its
   * scope, a person their own or one they are a member of. 401 for an unknown or revoked credential, 404 whether
   * the channel is missing, someone else's, or outside the key's scope (as the Worker's own checks answer). No D1
   * read once the caller, the owner and (for a person) the members are known; else one batch.
   */
  async admit(caller: Caller, channelId: string): Promise<{ ok: true; value: Principal } | Refused> {
    const generation = this.generation;
    const now = Date.now();
    const credential = "principal" in caller ? undefined : caller;
    let principal = credential ? this.known(credential, now) : (caller as { principal: Principal }).principal;
    const person = principal ? principal.keyId === undefined : credential !== undefined && "sessionHash" in credential;
    let { owner, members } = this;
    if (principal === undefined || owner === undefined || (person && members === undefined)) {
      const read = await this.read(principal ? undefined : credential, channelId, owner === undefined, person && members === undefined);
      const kept = generation === this.generation;
      if (!principal) {
        if (!read.caller) return refused(401, credential && "keyHash" in credential ? "Invalid API key" : "Not signed in");
        principal = "keyHash" in credential! ? principalOfRow(read.caller as KeyRow) : personOf(read.caller as SessionRow);
        if (kept) this.remember(credential!, principal, read.caller, now);
      }
      if (read.owner === null) return refused(404, "Agent not found");
      if (read.owner !== undefined) owner = read.owner;
      if (read.members) members = new Set(read.members);
      if (kept) {
        this.owner = owner;
        if (members) this.members = members;
      }
    }
    const allowed =
      principal.keyId !== undefined
        ? principal.userId === owner && canUseAgent(principal, channelId)
        : principal.userId === owner || members!.has(principal.userId);
    return allowed ? { ok: true, value: principal } : refused(404, "Agent not found");
  }

  /** Something of the user changed (a key, a session, their name or role, a membership): read from D1 again. */
  forget(userId: string) {
    this.generation++;
    for (const [hash, known] of this.callers) if (known.principal.userId === userId) this.callers.delete(hash);
    if (this.owner === userId) this.owner = undefined;
    this.members = undefined;
  }

  /** The channel is gone. */
  forgetAll() {
    this.generation++;
    this.callers.clear();
    this.owner = undefined;
    this.members = undefined;
  }

  private known(credential: Credential, now: number): Principal | undefined {
    const hash = hashOf(credential);
    const known = this.callers.get(hash);
    if (!known) return undefined;
    if (now - known.readAt > CALLER_TTL_MS || now >= known.expiresAt) {
      this.callers.delete(hash);
      return undefined;
    }
    if (known.principal.keyId !== undefined && now - known.usedAt > 60_000) {
      known.usedAt = now;
      touchKey(this.db, known.principal.keyId, this.waitUntil);
    }
    return known.principal;
  }

  private remember(credential: Credential, principal: Principal, row: KeyRow | SessionRow, now: number) {
    if (this.callers.size >= MAX_CALLERS) this.callers.delete(this.callers.keys().next().value!);
    let usedAt = now;
    let expiresAt = Number.POSITIVE_INFINITY;
    if ("lastUsedAt" in row) {
      if (lastUseIsStale(row.lastUsedAt)) touchKey(this.db, row.id, this.waitUntil);
      else usedAt = Date.parse(row.lastUsedAt!);
    } else expiresAt = Date.parse(row.expiresAt);
    this.callers.set(hashOf(credential), { principal, readAt: now, expiresAt, usedAt });
  }

  /**
   * What is not known yet, in one round trip: the caller's row (undefined: none), the owner (null: no such
   * channel), the members.
   */
  private async read(
    credential: Credential | undefined,
    channelId: string,
    withOwner: boolean,
    withMembers: boolean,
  ): Promise<{ caller?: KeyRow | SessionRow | undefined; owner?: string | null; members?: string[] }> {
    const queries: BatchItem<"sqlite">[] = [];
    const at = { caller: -1, owner: -1, members: -1 };
    if (credential)
      at.caller = queries.push("keyHash" in credential ? principalQuery(this.db, credential.keyHash) : sessionQuery(this.db, credential.sessionHash)) - 1;
    if (withOwner) at.owner = queries.push(ownerQuery(this.db, channelId)) - 1;
    if (withMembers) at.members = queries.push(membersQuery(this.db, channelId)) - 1;
    const results = (await this.db.batch(queries as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];
    return {
      ...(at.caller >= 0 ? { caller: results[at.caller]![0] as KeyRow | SessionRow | undefined } : {}),
      ...(at.owner >= 0 ? { owner: (results[at.owner]![0] as { userId: string } | undefined)?.userId ?? null } : {}),
      ...(at.members >= 0 ? { members: (results[at.members] as { userId: string }[]).map((m) => m.userId) } : {}),
    };
  }
}
