// A review's reminders and escalation (its policy's `remind` and `escalate`), as its room's timers fire them.
//
// Both are timers in the room's storage, armed before the review's post commits (ChannelRoom.recordIntents)
// and cleared the moment the review settles, so they survive restarts like the expiry does. Alarms are
// at-least-once: each step re-reads its timer and the review, and a timer moves on (or goes) only once its
// work is on record, so a restart repeats a step at worst and never skips one.
import { and, eq } from "drizzle-orm";
import type { MessageDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { messages } from "../db/schema";
import type { Env } from "../env";
import { systemActor, type AuditInput } from "../audit/writer";
import type { NotifyTargets } from "../notify/dispatch";
import { membersOf } from "../services/members";
import { attachmentsQuery, findMessage, isDue, messageDto, withAttachments, type MessageRow } from "../services/messages";
import { duration, names, union } from "./policy";
import type { PostResult } from "./posts";
import type { Timer, Timers } from "./timers";
import type { NewMessage, RoomEvent } from "./types";

/** What a nudge needs of its room. */
export interface NudgeRoom {
  db: Db;
  env: Env;
  timers: Timers;
  /** Runs a write in the room's write queue. */
  serial<T>(write: () => Promise<T>): Promise<T>;
  /** Appends to the audit log after the write; `audited()` resolves once every append so far is written. */
  record(channelId: string, input: AuditInput): void;
  audited(): Promise<void>;
  emit(event: RoomEvent): void;
  /** A review it changed (the escalation's assignees): the room keeps what it knows in step (known-reviews.ts). */
  reviewChanged(row: MessageRow): void;
  /** Stores a message of the channel (its seq, its events). */
  post(input: NewMessage): Promise<PostResult>;
  /** Notifies a message's people (browsers and channels) off the caller's path. */
  notify(message: MessageDto, targets: NotifyTargets): void;
}

/** Who has not answered (or voted on) a pending review yet, among those who may: its assignees, or every member. */
export async function notAnsweredYet(d: Db, row: MessageRow): Promise<string[]> {
  const voted = new Set((row.reviewVotes ?? []).map((v) => v.userId));
  const people = row.reviewPolicy?.assignees ?? (await membersOf(d, { id: row.channelId, userId: row.userId }));
  return people.map((p) => p.id).filter((id) => !voted.has(id));
}

export class Nudges {
  constructor(private readonly room: NudgeRoom) {}

  /** The review of a due timer, if it still waits for an answer; otherwise the timer goes. Runs in `serial`. */
  private async pendingReview(timer: Timer): Promise<{ current: Timer; row: MessageRow } | undefined> {
    const { db, timers } = this.room;
    const current = timers.get(timer.key);
    if (!current || current.dueAt > Date.now()) return undefined; // gone or moved meanwhile
    const row = await findMessage(db, timer.channelId, String(timer.data.messageId));
    if (row?.reviewStatus !== "pending" || isDue(row)) {
      timers.delete(timer.key);
      return undefined;
    }
    return { current, row };
  }

  /**
   * A reminder: re-notifies (push, "Reminder") who has not answered or voted yet, then re-arms itself
   * `everySeconds` later, until `max` reminders or the expiry. Ends itself once the review is settled.
   */
  async remind(timer: Timer): Promise<void> {
    const { db, timers } = this.room;
    const reminded = await this.room.serial(async () => {
      const due = await this.pendingReview(timer);
      const remind = due?.row.reviewPolicy?.remind;
      if (!due || !remind) {
        if (due) timers.delete(timer.key);
        return undefined;
      }
      const { current, row } = due;
      const sent = Number(current.data.sent ?? 0) + 1;
      const userIds = await notAnsweredYet(db, row);
      this.room.record(row.channelId, {
        action: "reminded",
        actor: systemActor,
        messageId: row.id,
        data: { reminder: sent, max: remind.max ?? null, to: userIds },
      });
      await this.room.audited();
      // Moved on only once the reminder is on record: a restart before this repeats it, never skips it.
      const next = current.dueAt + remind.everySeconds * 1000;
      if ((remind.max !== undefined && sent >= remind.max) || next >= Date.parse(row.reviewExpiresAt!)) timers.delete(timer.key);
      else await timers.set({ ...current, dueAt: Math.max(next, Date.now() + 1000), data: { ...current.data, sent } });
      return { row, userIds };
    });
    if (!reminded) return;
    const [message] = await withAttachments(db, [reminded.row], "agent");
    this.room.notify(message!, { userIds: reminded.userIds, occasion: "reminder" });
  }

  /**
   * The escalation: adds `escalate.to` to the review's assignees (a review without assignees, which every
   * member may answer, keeps none), notifies them (push, "Escalated to you"), shows the review changed
   * (message:updated) and says so in the chat: a line of the channel, senderType "agent", metadata
   * `{system: "escalated", messageId, to}`, posted once (its idempotency key is the review's). The timer
   * goes last, so a restart before that repeats the notification at worst, never loses the escalation.
   */
  async escalate(timer: Timer): Promise<void> {
    const { db, timers } = this.room;
    const escalated = await this.room.serial(async () => {
      const due = await this.pendingReview(timer);
      const policy = due?.row.reviewPolicy;
      const escalate = policy?.escalate;
      if (!due || !policy || !escalate) {
        if (due) timers.delete(timer.key);
        return undefined;
      }
      const { row } = due;
      let updated = row;
      if (policy.assignees) {
        const reviewPolicy = { ...policy, assignees: union(policy.assignees, escalate.to) };
        const [update, files] = await db.batch([
          db
            .update(messages)
            .set({ reviewPolicy })
            .where(and(eq(messages.id, row.id), eq(messages.reviewStatus, "pending"))),
          attachmentsQuery(db, row.id),
        ]);
        if (update.meta.changes === 0) {
          timers.delete(timer.key);
          return undefined;
        }
        updated = { ...row, reviewPolicy };
        this.room.reviewChanged(updated);
        this.room.emit({
          channelId: row.channelId,
          name: "message:updated",
          data: messageDto(updated, files, "agent"),
          personData: messageDto(updated, files, "person"),
        });
      }
      this.room.record(row.channelId, {
        action: "escalated",
        actor: systemActor,
        messageId: row.id,
        data: { to: escalate.to, afterSeconds: escalate.afterSeconds, assignees: updated.reviewPolicy?.assignees ?? null },
      });
      return { row: updated, to: escalate.to, afterSeconds: escalate.afterSeconds };
    });
    if (!escalated) return;
    const { row, to, afterSeconds } = escalated;
    const [message] = await withAttachments(db, [row], "agent");
    this.room.notify(message!, { userIds: to.map((p) => p.id), occasion: "escalation" });
    const line = await this.room.post({
      channelId: row.channelId,
      userId: row.userId,
      senderType: "agent",
      senderId: row.channelId,
      text: `Escalated to ${names(to)}: no answer after ${duration(afterSeconds)}`,
      metadata: { system: "escalated", messageId: row.id, to },
      attachmentIds: [],
      idempotencyKey: `nod:escalated:${row.id}`,
    });
    if (line.ok && line.value.created) this.room.emit({ channelId: row.channelId, name: "message:created", data: line.value.message });
    timers.delete(timer.key);
  }
}
