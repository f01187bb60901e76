// Appends to a channel's audit log. Only the channel's room writes (one writer per channel, so the chain
// never forks); appends queue behind each other here, because they come from the room's write queue and
// from outside it (webhook attempts). The head (last seq and hash) is read from D1 once per instance and
// then kept in memory; a failed insert forgets it, so the next append re-reads it.
import { desc, eq } from "drizzle-orm";
import type { AuditAction } from "../../contract/enums";
import type { AuditEntryDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { auditLog } from "../db/schema";
import { nowIso } from "../lib/ids";
import { logError } from "../lib/log";
import { entryHash, GENESIS } from "./chain";

/** Who did it: a person (id and name), the agent (its id), or Nod itself (a timer). */
export type AuditActor = AuditEntryDto["actor"];

export const systemActor: AuditActor = { type: "system", id: null, displayName: null };

/** What a request knows of its sender, kept with the entries it causes. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

export interface AuditInput {
  action: AuditAction;
  actor: AuditActor;
  messageId?: string | null;
  data?: Record<string, unknown>;
  origin?: RequestOrigin | null;
}

export class AuditWriter {
  private head: { seq: number; hash: string } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Db) {}

  /** Appends one entry after every earlier append of this instance. Never throws (a failure is logged). */
  append(channelId: string, input: AuditInput): Promise<void> {
    const run = this.queue.then(() => this.write(channelId, input));
    this.queue = run.catch(() => undefined);
    return run.catch((err) => {
      this.head = undefined;
      logError("audit append failed", channelId, input.action, err);
    });
  }

  private async write(channelId: string, input: AuditInput) {
    this.head ??= await this.readHead(channelId);
    const content = {
      channelId,
      seq: this.head.seq + 1,
      at: nowIso(),
      action: input.action,
      // Exactly what the row stores and an export shows, so the hash covers what a reader sees: the actor's
      // three fields only, and the data as JSON gives it back (undefined dropped, dates as strings).
      actor: { type: input.actor.type, id: input.actor.id ?? null, displayName: input.actor.displayName ?? null },
      messageId: input.messageId ?? null,
      data: JSON.parse(JSON.stringify(input.data ?? {})) as AuditEntryDto["data"],
      ip: input.origin?.ip ?? null,
      userAgent: input.origin?.userAgent ?? null,
    };
    const prevHash = this.head.hash;
    const hash = await entryHash(prevHash, content);
    await this.db.insert(auditLog).values({
      channelId,
      seq: content.seq,
      at: content.at,
      action: content.action,
      actorType: content.actor.type,
      actorId: content.actor.id,
      actorName: content.actor.displayName,
      messageId: content.messageId,
      data: content.data,
      ip: content.ip,
      userAgent: content.userAgent,
      prevHash,
      hash,
    });
    this.head = { seq: content.seq, hash };
  }

  private async readHead(channelId: string) {
    const [last] = await this.db
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .where(eq(auditLog.channelId, channelId))
      .orderBy(desc(auditLog.seq))
      .limit(1);
    return last ?? { seq: 0, hash: GENESIS };
  }
}

/** The sender of a request as Cloudflare reports it (the client's address) and its user agent, cut to fit. */
export const requestOrigin = (headers: Headers): RequestOrigin => ({
  ip: headers.get("cf-connecting-ip")?.slice(0, 64) ?? null,
  userAgent: headers.get("user-agent")?.slice(0, 300) ?? null,
});
