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

/** Where the chain first breaks: `seq` is the place (1-based) of the first entry that is wrong. */
export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Checks a chain one entry at a time, so a long log can be read in pages. Each entry must have the next
 * seq (1, 2, 3…), link to the previous entry's hash, and carry its own hash; the first that does not is
 * the break, and everything before it is intact. A break's `seq` is the place where it happens (an
 * entry deleted at 3 breaks at 3, where entry 4 now sits), so "entries 1 to seq-1 hold" is always true.
 */
export class ChainVerifier {
  private prev = GENESIS;

  /** With `channelId`, every entry must also be of that channel (a file of another agent's log breaks at once). */
  constructor(private readonly channelId?: string) {}

  /** Entries checked so far. */
  count = 0;
  /** The first break, once found (later entries are then only counted). */
  broken: ChainBreak | null = null;

  /** The hash of the last entry checked (GENESIS before any). */
  get head(): string {
    return this.prev;
  }

  /** Checks the next entry; returns the break if this entry is it. */
  async push(entry: AuditEntryDto): Promise<ChainBreak | null> {
    const place = ++this.count;
    if (this.broken) return null;
    const brk = (reason: string) => (this.broken = { seq: place, reason });
    if (this.channelId !== undefined && entry.channelId !== this.channelId) return brk(`entry ${place} is from the log of another agent (${entry.channelId})`);
    if (entry.seq !== place) return brk(`entry ${place} has seq ${entry.seq}: an entry is missing, added or out of order`);
    if (entry.prevHash !== this.prev) return brk(`entry ${place} does not link to the hash of entry ${place - 1}`);
    let hash: string;
    try {
      hash = await entryHash(this.prev, entry);
    } catch (err) {
      return brk(`entry ${place} cannot be hashed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (entry.hash !== hash) return brk(`entry ${place} was changed: its hash does not match its content`);
    this.prev = entry.hash;
    return null;
  }

  result(): AuditVerifyDto {
    return { ok: this.broken === null, entries: this.count, firstBroken: this.broken?.seq ?? null, reason: this.broken?.reason ?? null };
  }
}

/**
 * Walks the entries in the order given (see ChainVerifier): an edited, deleted, inserted or moved entry
 * breaks the chain exactly there.
 */
export async function verifyEntries(entries: readonly AuditEntryDto[]): Promise<AuditVerifyDto> {
  const verifier = new ChainVerifier();
  for (const entry of entries) await verifier.push(entry);
  return verifier.result();
}
