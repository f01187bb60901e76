// Who may use this channel, as its room knows it: the principals of the API keys that used it lately, and
// the channel's owner. Kept so that an agent's post or wait needs no D1 read before the room's own work
// (issue 19: in production each read is a round trip to D1's region).
//
// Why it cannot admit a key it should refuse:
// - An agent never changes hands; it is deleted through its room (destroy) or with its owner, whose keys
//   go with them (forget below).
// - A key's principal changes only when the key is revoked or rotated (its old hash then finds nothing) or
//   its user is deleted. Each of those calls forget(userId) on the room of every channel the key could reach
//   before it answers (forgetCallers in room/index.ts), so the room's next request reads D1 and is refused.
// - A read that was in flight when forget ran may have found the key before it was deleted: it is not kept
//   (the generation moved on), so it cannot bring a revoked key back.
// - Should a revocation fail to reach a room, an entry is kept at most KEY_TTL_MS before D1 is read again.
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { agents } from "../db/schema";
import type { Caller, Principal } from "../env";
import { lastUseIsStale, principalOfRow, principalQuery, touchKey, type KeyRow } from "../auth/api-key";
import { canUseAgent } from "../services/agents";
import type { Refused } from "./types";

/** Keys kept per room, at most (the oldest goes first). */
const MAX_KEYS = 256;
/** How long a key's principal is trusted without reading D1 again (the bound should a revocation not reach the room). */
const KEY_TTL_MS = 5 * 60_000;

interface KnownKey {
  principal: Principal;
  readAt: number;
  /** When D1 last recorded the key's use ("last used" to the minute, apiKeyAuth's rule). */
  usedAt: number;
}

const ownerQuery = (d: Db, channelId: string) => d.select({ userId: agents.userId }).from(agents).where(eq(agents.id, channelId));

export class RoomAccess {
  private readonly keys = new Map<string, KnownKey>();
  /** The channel's owner, once read. */
  private owner: string | undefined;
  /** Moves on every forget: a read that started before one is not kept. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  /**
   * The caller's principal if it may use `channelId` (this room's channel): 401 for an unknown or revoked
   * key, 404 whether the channel is missing, someone else's, or outside the key's scope (as the Worker's
   * own checks answer). No D1 read once the key and the owner are known.
   */
  async admit(caller: Caller, channelId: string): Promise<{ ok: true; value: Principal } | Refused> {
    const generation = this.generation;
    const now = Date.now();
    let principal = "principal" in caller ? caller.principal : this.knownKey(caller.keyHash, now);
    let owner = this.owner;
    if (principal === undefined || owner === undefined) {
      const keyHash = principal === undefined && "keyHash" in caller ? caller.keyHash : undefined;
      const read = await this.read(keyHash, owner === undefined ? channelId : undefined);
      if (keyHash) {
        if (!read.key) return { ok: false, status: 401, message: "Invalid API key" };
        principal = principalOfRow(read.key);
        if (generation === this.generation) this.remember(keyHash, principal, read.key, now);
      }
      if (read.owner === null) return { ok: false, status: 404, message: "Agent not found" };
      if (read.owner !== undefined) {
        owner = read.owner;
        if (generation === this.generation) this.owner = owner;
      }
    }
    if (principal!.userId !== owner || !canUseAgent(principal!, channelId)) return { ok: false, status: 404, message: "Agent not found" };
    return { ok: true, value: principal! };
  }

  /** The user's keys (one was revoked or rotated, or the user deleted) are read from D1 again from now on. */
  forget(userId: string) {
    this.generation++;
    for (const [hash, known] of this.keys) if (known.principal.userId === userId) this.keys.delete(hash);
    if (this.owner === userId) this.owner = undefined;
  }

  /** The channel is gone. */
  forgetAll() {
    this.generation++;
    this.keys.clear();
    this.owner = undefined;
  }

  private knownKey(keyHash: string, now: number): Principal | undefined {
    const known = this.keys.get(keyHash);
    if (!known) return undefined;
    if (now - known.readAt > KEY_TTL_MS) {
      this.keys.delete(keyHash);
      return undefined;
    }
    if (now - known.usedAt > 60_000) {
      known.usedAt = now;
      touchKey(this.db, known.principal.keyId!, this.waitUntil);
    }
    return known.principal;
  }

  private remember(keyHash: string, principal: Principal, row: KeyRow, now: number) {
    if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
    const stale = lastUseIsStale(row.lastUsedAt);
    if (stale) touchKey(this.db, row.id, this.waitUntil);
    this.keys.set(keyHash, { principal, readAt: now, usedAt: stale ? now : Date.parse(row.lastUsedAt!) });
  }

  /** What is not known yet, in one round trip: the key's row (undefined: none), the owner (null: no such channel). */
  private async read(keyHash: string | undefined, channelId: string | undefined): Promise<{ key?: KeyRow; owner?: string | null }> {
    if (keyHash && channelId) {
      const [keys, owners] = await this.db.batch([principalQuery(this.db, keyHash), ownerQuery(this.db, channelId)]);
      return { key: keys[0], owner: owners[0]?.userId ?? null };
    }
    if (keyHash) return { key: (await principalQuery(this.db, keyHash))[0] };
    return { owner: (await ownerQuery(this.db, channelId!))[0]?.userId ?? null };
  }
}
