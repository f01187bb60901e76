// Message retention, run by a channel's room (the single writer of its messages) for the hourly
// clean-up: removes the channel's messages older than a cutoff, with their files' bytes in R2, their
// webhook-delivery rows (cascade) and their timers (expiry, reminders, escalation, webhooks). One batch per call, so a large backlog never holds
// the room's write queue for long; the caller repeats until `done`.
//
// The channel's newest message is always kept, however old: a channel never empties by age alone.
// (It also kept `seq` from starting over before the room stored its high-water mark, seq-mark.ts.)
import { and, asc, eq, lt, lte, max } from "drizzle-orm";
import type { Db } from "../db/client";
import { attachments, messages } from "../db/schema";
import { deleteObjects } from "../files/r2";
import { WEBHOOK_EVENTS } from "../webhooks/deliver";
import { deliveryKey } from "./deliveries";
import { reviewTimerKeys, type Timers } from "./timers";

/** Messages removed per call: one D1 delete of this size stays well within a request's time and memory. */
const PURGE_BATCH = 500;

export interface PurgeResult {
  /** Messages removed by this call. */
  messages: number;
  /** Their attachments (R2 objects and rows). */
  files: number;
  /** Nothing older than the cutoff is left (apart from the kept newest message). */
  done: boolean;
}

/** What the purge needs of its room. */
interface RetentionRoom {
  db: Db;
  files: R2Bucket;
  timers: Timers;
  /** Ends the parked waits of a removed message (they get "gone", as after a retraction). */
  release: (messageId: string) => void;
}

/** Removes up to PURGE_BATCH of the channel's messages created before `cutoffIso`, oldest (lowest seq) first. Runs in `serial`. */
export async function purgeMessagesBefore(room: RetentionRoom, channelId: string, cutoffIso: string): Promise<PurgeResult> {
  const { db } = room;
  const newestSeq = db
    .select({ seq: max(messages.seq) })
    .from(messages)
    .where(eq(messages.channelId, channelId));
  const batch = await db
    .select({ id: messages.id, seq: messages.seq })
    .from(messages)
    .where(and(eq(messages.channelId, channelId), lt(messages.createdAt, cutoffIso), lt(messages.seq, newestSeq)))
    .orderBy(asc(messages.seq))
    .limit(PURGE_BATCH);
  if (batch.length === 0) return { messages: 0, files: 0, done: true };

  // The batch as a range (no list of ids to bind): old messages up to its highest seq.
  const inBatch = and(eq(messages.channelId, channelId), lt(messages.createdAt, cutoffIso), lte(messages.seq, batch.at(-1)!.seq));
  const files = await db.select({ key: attachments.r2Key }).from(attachments).innerJoin(messages, eq(attachments.messageId, messages.id)).where(inBatch);
  // Bytes first: if the D1 delete then fails, the next run finds the same rows and finishes (deleting a
  // missing R2 key is a no-op); the other order could leave bytes that no row points to.
  await deleteObjects(
    room.files,
    files.map((f) => f.key),
  );
  await db.delete(messages).where(inBatch); // attachments and webhook_deliveries cascade

  for (const { id } of batch) {
    for (const key of reviewTimerKeys(id)) room.timers.delete(key);
    for (const event of WEBHOOK_EVENTS) room.timers.delete(deliveryKey(id, event));
    room.release(id);
  }
  await room.timers.rearm();
  return { messages: batch.length, files: files.length, done: batch.length < PURGE_BATCH };
}
