// Posts of one room, committed in groups: posts that arrive while a write is in flight wait in a queue
// and go to D1 together, in one transaction, in arrival order. The committer owns the channel's seq:
// it is read once (the larger of D1's max and the room's stored mark, seq-mark.ts), then counted here,
// and re-read after any write whose outcome is unknown.
import { and, eq, isNull, max, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { agents, attachments, messages } from "../db/schema";
import type { FieldError } from "../lib/errors";
import { newId, nowIso } from "../lib/ids";
import type { MessageDto } from "../../contract/dto";
import { messageDto, reviewStatusOf, withAttachments, type AttachmentRow, type Audience, type MessageRow } from "../services/messages";
import type { NewMessage, RoomResult } from "./types";
import type { SeqMark } from "./seq-mark";
import { inList } from "../db/lists";
import { jsonBytes } from "../../contract/json";
import { LIMITS } from "../../contract/limits";

export type PostResult = RoomResult<{ message: MessageDto; created: boolean }>;

const fail = (status: 400 | 413, message: string, errors: FieldError[]) => ({ ok: false, status, message, errors }) as const;

/** The most posts committed in one D1 transaction. */
const MAX_GROUP_COMMIT = 100;

/** Where a new message sits in an iteration chain: after `target`, in the chain of the target's root. */
interface ChainPlace {
  iterationOf: string;
  iteration: number;
  iterationGroupId: string;
}

/**
 * Why `target` cannot be iterated on, or null when it can: it must be a message of this channel whose
 * review is settled (answered or expired). A message that already has a successor may be iterated on
 * again: the chain branches, and both revisions get the target's iteration + 1.
 */
function iterationProblem(target: MessageRow | undefined): FieldError | null {
  const problem = (message: string, code = "invalid") => ({ path: "iterationOf", message, code });
  if (!target) return problem("no such message in this channel", "not_found");
  if (!target.reviewType) return problem("that message has no review: only a message whose review was answered or has expired can be iterated on");
  if (reviewStatusOf(target) === "pending") return problem("that message's review is still pending: iterate once it is answered or has expired");
  return null;
}

function newMessageRow(input: NewMessage, seq: number, now: string, chain: ChainPlace | null): MessageRow {
  return {
    id: newId(),
    channelId: input.channelId,
    userId: input.userId,
    seq,
    senderType: input.senderType,
    senderId: input.senderId,
    text: input.text ?? null,
    status: input.status ?? null,
    metadata: input.metadata ?? null,
    webhookUrl: input.webhookUrl ?? null,
    deliveryStatus: "sent",
    idempotencyKey: input.idempotencyKey ?? null,
    reviewType: input.review?.type ?? null,
    reviewStatus: input.review ? "pending" : null,
    reviewExpiresAt: input.review?.expiresAt ?? null,
    reviewCompletedAt: null,
    reviewPayload: input.review?.payload ?? null,
    reviewResponse: null,
    reviewCallback: input.review?.callback ?? null,
    reviewFeedback: null,
    reviewPolicy: input.review?.policy ?? null,
    reviewVotes: null,
    reviewRespondedBy: null,
    reviewResolution: null,
    reviewVia: null,
    reviewQuorumFailed: null,
    iterationOf: chain?.iterationOf ?? null,
    iteration: chain?.iteration ?? null,
    iterationGroupId: chain?.iterationGroupId ?? null,
    streamId: input.stream?.streamId ?? null,
    streamState: input.stream?.streamState ?? null,
    createdAt: now,
  };
}

export class PostCommitter {
  /** The channel's highest seq; undefined until read from D1 (or after a write with an unknown outcome). */
  private lastSeq: number | undefined;
  private readonly queued: { input: NewMessage; resolve: (r: PostResult) => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly db: Db,
    private readonly mark: SeqMark,
    /**
     * Records what must happen once a message is stored (its expiry timer, its webhook, a draft's idle timer) in the room's
     * own storage, before the D1 commit: a restart right after the commit then loses nothing, and a
     * timer whose message never landed finds no message and ends itself.
     */
    private readonly recordIntents: (row: MessageRow) => Promise<void>,
    /** The room's write queue: a commit runs when the write before it is done. */
    private readonly serial: <T>(write: () => Promise<T>) => Promise<T>,
    /** Told of each message once its commit has landed (the room keeps its review: known-reviews.ts). */
    private readonly stored: (row: MessageRow) => void,
  ) {}

  /** Queues a post; it is stored with the next group. */
  post(input: NewMessage): Promise<PostResult> {
    return new Promise<PostResult>((resolve, reject) => {
      this.queued.push({ input, resolve, reject });
      if (this.queued.length === 1) void this.serial(() => this.commitQueued());
    });
  }

  /** The channel was deleted: its seq starts over if it is ever used again. */
  forgetSeq() {
    this.lastSeq = undefined;
    this.mark.clear();
  }

  private async nextSeq(channelId: string): Promise<number> {
    if (this.lastSeq === undefined) {
      const [row] = await this.db
        .select({ seq: max(messages.seq) })
        .from(messages)
        .where(eq(messages.channelId, channelId));
      this.lastSeq = Math.max(row?.seq ?? 0, this.mark.get());
    }
    return this.lastSeq + 1;
  }

  private async commitQueued(): Promise<void> {
    const group = this.queued.splice(0, MAX_GROUP_COMMIT);
    if (this.queued.length) void this.serial(() => this.commitQueued()); // never rejects: it settles each post
    try {
      const results = await this.store(group.map((g) => g.input));
      for (const [i, g] of group.entries()) g.resolve(results[i]!);
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }

  /** One D1 transaction for a group of posts to this channel, in arrival order. Runs in `serial`. */
  private async store(inputs: NewMessage[]): Promise<PostResult[]> {
    const channelId = inputs[0]!.channelId;
    const keys = inputs.flatMap((i) => (i.idempotencyKey ? [i.idempotencyKey] : []));
    // A stream's id is an idempotency key of its own: a retried draft POST gets the stored draft back.
    const streamIds = inputs.flatMap((i) => (i.stream ? [i.stream.streamId] : []));
    const fileIds = inputs.flatMap((i) => i.attachmentIds);
    const targetIds = inputs.flatMap((i) => (i.iterationOf ? [i.iterationOf] : []));
    // A group that must read anyway (files, streams, iteration targets) looks its idempotency keys up in the same
    // read, so nothing is linked to a post that turns out to be a replay. Otherwise a keyed post costs no read:
    // its insert does nothing on a key already stored, and the replay is read afterwards (see `replayed`).
    const readsFirst = fileIds.length > 0 || streamIds.length > 0 || targetIds.length > 0;
    // One read of the channel's messages serves the idempotent replays (by key and by stream) and the iteration targets.
    const lookups = [
      ...(keys.length && readsFirst ? [inList(messages.idempotencyKey, keys)] : []),
      ...(streamIds.length ? [inList(messages.streamId, streamIds)] : []),
      ...(targetIds.length ? [inList(messages.id, targetIds)] : []),
    ];
    const [known, files] = await Promise.all([
      lookups.length
        ? this.db
            .select()
            .from(messages)
            .where(and(eq(messages.channelId, channelId), or(...lookups)))
        : [],
      fileIds.length
        ? this.db
            .select()
            .from(attachments)
            .where(and(inList(attachments.id, fileIds), eq(attachments.channelId, channelId)))
        : [],
    ]);
    const earlier = known.filter((row) => row.idempotencyKey !== null && keys.includes(row.idempotencyKey));
    const byKey = new Map<string, { row: MessageRow; stored: boolean }>(earlier.map((row) => [row.idempotencyKey!, { row, stored: true }]));
    const byStream = new Map<string, MessageRow>(
      known.filter((row) => row.streamId !== null && streamIds.includes(row.streamId)).map((row) => [row.streamId!, row]),
    );
    // Iteration targets as this group leaves them: a root gets its chain place with the group's first revision.
    const targets = new Map<string, MessageRow>(known.filter((row) => targetIds.includes(row.id)).map((row) => [row.id, row]));
    const claimed = new Set<string>();
    const now = nowIso();
    const floor = (await this.nextSeq(channelId)) - 1;
    let seq = floor;
    const results: (PostResult | { replay: MessageRow; audience: Audience })[] = [];
    const statements: BatchItem<"sqlite">[] = [];
    /** `insert`: where its insert is in `statements`, whose result says its seq (none: its key was stored already). */
    const created: { index: number; row: MessageRow; files: AttachmentRow[]; insert: number }[] = [];

    for (const [index, input] of inputs.entries()) {
      const replay =
        (input.idempotencyKey ? byKey.get(input.idempotencyKey)?.row : undefined) ?? (input.stream ? byStream.get(input.stream.streamId) : undefined);
      if (replay) {
        results[index] = { replay, audience: input.senderType === "agent" ? "agent" : "person" };
        continue;
      }
      const unusable = input.attachmentIds
        .map((id, i) => ({ i, file: files.find((f) => f.id === id), taken: claimed.has(id) }))
        .filter(({ file, taken }) => !file || file.messageId !== null || taken);
      const target = input.iterationOf ? targets.get(input.iterationOf) : undefined;
      const chainProblem = input.iterationOf ? iterationProblem(target) : null;
      if (unusable.length || chainProblem) {
        results[index] = fail(400, unusable.length ? "Some attachments cannot be used" : "This message cannot continue that iteration chain", [
          ...unusable.map(({ i, file }) => ({
            path: `attachmentIds.${i}`,
            ...(file ? { message: "already attached to another message", code: "conflict" } : { message: "no such file in this channel", code: "not_found" }),
          })),
          ...(chainProblem ? [chainProblem] : []),
        ]);
        continue;
      }
      // The target counts as iteration 1 of its own chain when it was in none.
      const chain = target ? { iterationOf: target.id, iteration: (target.iteration ?? 1) + 1, iterationGroupId: target.iterationGroupId ?? target.id } : null;
      const row = newMessageRow(input, seq + 1, now, chain);
      // D1 refuses rows over 2 MB; one such post must not sink the rest of its group.
      if (jsonBytes(row) > LIMITS.messageRowBytes) {
        results[index] = fail(413, `A message may be at most ${LIMITS.messageRowBytes} bytes in all`, []);
        continue;
      }
      seq++;
      if (target && target.iteration === null) {
        // The root joins its chain in the same transaction as its first revision.
        statements.push(
          this.db
            .update(messages)
            .set({ iteration: 1, iterationGroupId: target.id })
            .where(and(eq(messages.id, target.id), isNull(messages.iterationGroupId))),
        );
        targets.set(target.id, { ...target, iteration: 1, iterationGroupId: target.id });
      }
      const linked = input.attachmentIds.map((id, position) => ({ ...files.find((f) => f.id === id)!, messageId: row.id, position }));
      const insert = statements.push(insertOnce(this.db, row, floor)) - 1;
      if (linked.length) statements.push(linkAttachments(this.db, row.id, input.attachmentIds));
      for (const id of input.attachmentIds) claimed.add(id);
      if (input.idempotencyKey) byKey.set(input.idempotencyKey, { row, stored: false });
      if (input.stream) byStream.set(input.stream.streamId, row);
      created.push({ index, row, files: linked, insert });
    }

    for (const { row } of created) await this.recordIntents(row);
    /** Posts whose key was stored already (their insert did nothing): by key, each post that must answer with the stored one. */
    const replayed = new Map<string, number[]>();
    if (created.length) {
      if (inputs.some((i) => i.senderType === "agent")) statements.push(this.db.update(agents).set({ lastActiveAt: now }).where(eq(agents.id, channelId)));
      let outcomes: unknown[];
      try {
        outcomes = await this.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      } catch (err) {
        this.lastSeq = undefined; // the write may or may not have landed: re-read before the next one
        throw err;
      }
      let last = floor;
      for (const entry of created) {
        const [stored] = outcomes[entry.insert] as { seq: number }[];
        if (stored) {
          entry.row.seq = last = stored.seq;
          this.stored(entry.row);
          results[entry.index] = { ok: true, value: { message: messageDto(entry.row, entry.files, "agent"), created: true } };
        } else replayed.set(entry.row.idempotencyKey!, [...(replayed.get(entry.row.idempotencyKey!) ?? []), entry.index]);
      }
      this.lastSeq = last;
      this.mark.raise(last);
    }
    // A post of this group that replays one whose key turned out to be stored already replays the stored one.
    for (const [index, r] of results.entries()) {
      if (r && "replay" in r && r.replay.idempotencyKey && replayed.has(r.replay.idempotencyKey) && !created.some((c) => c.index === index)) {
        replayed.get(r.replay.idempotencyKey)!.push(index);
      }
    }
    if (replayed.size) {
      const earlier = await this.db
        .select()
        .from(messages)
        .where(and(eq(messages.channelId, channelId), inList(messages.idempotencyKey, [...replayed.keys()])));
      for (const row of earlier) {
        for (const index of replayed.get(row.idempotencyKey!) ?? [])
          results[index] = { replay: row, audience: inputs[index]!.senderType === "agent" ? "agent" : "person" };
      }
    }
    return Promise.all(
      results.map(async (r) => {
        if (!("replay" in r)) return r;
        const [message] = await withAttachments(this.db, [r.replay], r.audience);
        return { ok: true, value: { message: message!, created: false } } as const;
      }),
    );
  }
}

/**
 * A new message's insert. Its seq is the channel's next, counted in the statement itself (the larger of the
 * stored highest and `floor`, the room's own mark, plus one), so a post before it in the batch whose insert did
 * nothing leaves no gap. A key already stored makes it do nothing: the post is a replay (PostCommitter.store).
 */
function insertOnce(d: Db, row: MessageRow, floor: number) {
  const next = sql`(SELECT max(coalesce(max(m.seq), 0), ${floor}) + 1 FROM messages AS m WHERE m.channel_id = ${row.channelId})`;
  return d
    .insert(messages)
    .values({ ...row, seq: next })
    .onConflictDoNothing({ target: [messages.channelId, messages.idempotencyKey] })
    .returning({ seq: messages.seq });
}

/** Links files to a message in one statement, each at its place in `ids` (three parameters, however many files). */
function linkAttachments(d: Db, messageId: string, ids: string[]) {
  const list = JSON.stringify(ids);
  return d
    .update(attachments)
    .set({ messageId, position: sql`(SELECT j.key FROM json_each(${list}) AS j WHERE j.value = "attachments"."id")` })
    .where(inList(attachments.id, ids));
}
