// Appends to a channel's audit log. Only the channel's room writes (one writer per channel, so the chain
// never forks); appends queue behind each other here, because they come from the room's write queue and
// from outside it (webhook attempts). The head (last seq and hash) is read from D1 once per instance and
// then kept in memory; a failed insert forgets it, so the next append re-reads it.
import { desc, eq, getTableColumns, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
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

/** A person as the actor of an entry (an answer, a vote, a membership change). */
export const personActor = (person: { id: string; displayName: string | null }): AuditActor => ({
  type: "user",
  id: person.id,
  displayName: person.displayName,
});

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

interface Pending {
  channelId: string;
  input: AuditInput;
  done: () => void;
}

type AuditRow = typeof auditLog.$inferInsert;
/** The table's columns in order: what an INSERT … SELECT must give, in that order. */
const INSERT_ORDER = Object.keys(getTableColumns(auditLog)) as (keyof AuditRow)[];

/** A row's values as an INSERT … SELECT gives them (`data` as its JSON text, as the column stores it). */
const selectedValues = (row: AuditRow) =>
  sql.join(
    INSERT_ORDER.map((column) => sql`${column === "data" ? JSON.stringify(row.data) : (row[column] ?? null)}`),
    sql`, `,
  );

/** Entries in one D1 batch at most (a group of appends beyond it is written in several). */
const GROUP_LIMIT = 50;

export class AuditWriter {
  private head: { seq: number; hash: string } | undefined;
  /** Appends waiting for the next group write, in call order. */
  private pending: Pending[] = [];
  private writing = false;
  /** The group write in progress (resolved when the queue is empty). */
  private draining: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db) {}

  /**
   * Appends one entry after every earlier append of this instance. Appends made while a write is in flight
   * go together in the next one: one D1 round trip per group, however many entries (a busy channel's audit
   * does not queue up behind one insert per entry). Never throws (a failure is logged).
   */
  append(channelId: string, input: AuditInput): Promise<void> {
    return new Promise<void>((done) => {
      this.pending.push({ channelId, input, done });
      if (!this.writing) this.draining = this.drain();
    });
  }

  private async drain() {
    this.writing = true;
    while (this.pending.length) {
      const group = this.pending.splice(0, GROUP_LIMIT);
      try {
        await this.write(group);
      } catch (err) {
        this.head = undefined; // re-read before the next write
        logError("audit append failed", group[0]!.channelId, group.map((p) => p.input.action).join(","), err);
      }
      for (const p of group) p.done();
    }
    this.writing = false;
  }

  /**
   * Entries that record a write, committed in the same D1 batch as that write (issue 19: the answer waits for
   * its entry, and this spares it a round trip of its own). `write` gets their inserts, to put right after its
   * own statement: each inserts only if the statement before it changed a row (SQLite's `changes()`), so a
   * write that changed nothing leaves no entry. It says whether its write landed. Other appends wait meanwhile,
   * so the chain keeps one head.
   */
  async alongside<T>(channelId: string, inputs: AuditInput[], write: (inserts: BatchItem<"sqlite">[]) => Promise<{ value: T; landed: boolean }>): Promise<T> {
    while (this.writing) await this.draining;
    this.writing = true;
    try {
      const before = this.head ?? (await this.readHead(channelId));
      const { rows, head } = await this.rowsOf(channelId, inputs, before);
      const inserts = rows.map((row) => this.db.insert(auditLog).select(sql`SELECT ${selectedValues(row)} WHERE changes() > 0`));
      const { value, landed } = await write(inserts);
      if (landed) this.head = head;
      return value;
    } catch (err) {
      this.head = undefined; // re-read before the next write
      throw err;
    } finally {
      this.writing = false;
      if (this.pending.length) this.draining = this.drain();
    }
  }

  /** Writes a group of entries (all of one channel: a room writes only its own) in one batch. */
  private async write(group: Pending[]) {
    const channelId = group[0]!.channelId;
    const { rows, head } = await this.rowsOf(
      channelId,
      group.map((p) => p.input),
      this.head ?? (await this.readHead(channelId)),
    );
    const [first, ...others] = rows.map((row) => this.db.insert(auditLog).values(row));
    await this.db.batch([first!, ...others]);
    this.head = head;
  }

  /** The rows of entries that follow `head`, each chained to the one before, and the head after them. */
  private async rowsOf(channelId: string, inputs: AuditInput[], head: { seq: number; hash: string }) {
    const rows: AuditRow[] = [];
    for (const input of inputs) {
      const content = {
        channelId,
        seq: head.seq + 1,
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
      const hash = await entryHash(head.hash, content);
      const { actor, ...rest } = content;
      rows.push({ ...rest, actorType: actor.type, actorId: actor.id, actorName: actor.displayName, prevHash: head.hash, hash });
      head = { seq: content.seq, hash };
    }
    return { rows, head };
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
