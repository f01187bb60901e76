// The audit log's hash chain, as pure functions: what an entry's hash is, and whether a list of entries
// (read from D1, or parsed from an export) still forms the chain it was written as. No Worker types, so
// anyone can check an export with the same code.
//
// hash(n) = SHA-256(hash(n-1) ‖ canonical JSON of entry n without prevHash and hash), as lowercase hex;
// the first entry's prevHash is GENESIS. Canonical JSON is RFC 8785 (JCS): sorted keys, no spaces, one
// spelling of each number, so the hash does not depend on who serialized the entry.
import canonicalize from "canonicalize";
import type { AuditEntryDto, AuditVerifyDto } from "../../contract/dto";
import { sha256Hex } from "../lib/crypto";

export const GENESIS = "0".repeat(64);

/** What the hash covers: every field of the entry but the two hashes. */
export type AuditContent = Omit<AuditEntryDto, "prevHash" | "hash">;

export async function entryHash(prevHash: string, content: AuditContent): Promise<string> {
  const { channelId, seq, at, action, actor, messageId, data, ip, userAgent } = content;
  return sha256Hex(prevHash + canonicalize({ channelId, seq, at, action, actor, messageId, data, ip, userAgent }));
}

/**
 * Walks the entries in the order given: each must have the next seq (1, 2, 3…), link to the previous
 * entry's hash, and carry its own hash. The first entry that does not is reported: an edited, deleted,
 * inserted or moved entry breaks the chain exactly there.
 */
export async function verifyEntries(entries: readonly AuditEntryDto[]): Promise<AuditVerifyDto> {
  let prev = GENESIS;
  for (const [i, entry] of entries.entries()) {
    const broken = (reason: string): AuditVerifyDto => ({ ok: false, entries: entries.length, firstBroken: entry.seq ?? i + 1, reason });
    if (entry.seq !== i + 1) return broken(`entry ${i + 1} has seq ${entry.seq}: an entry is missing, added or out of order`);
    if (entry.prevHash !== prev) return broken(`entry ${entry.seq} does not link to the hash of entry ${entry.seq - 1}`);
    if (entry.hash !== (await entryHash(prev, entry))) return broken(`entry ${entry.seq} was changed: its hash does not match its content`);
    prev = entry.hash;
  }
  return { ok: true, entries: entries.length, firstBroken: null, reason: null };
}
