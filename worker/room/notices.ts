// A room's notifications (notify/dispatch.ts) and the retries of its people's channels. A channel's failed
// send becomes a timer of the room (kind "notice"), tried again on the agent webhooks' backoff until a
// 2xx, a 410, or the last attempt. Each attempt reads the channel again: one deleted or disabled since
// gets nothing more, and a changed URL or token is used. Every attempt shows in the channel's status.
import { eq } from "drizzle-orm";
import type { MessageDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { notificationChannels } from "../db/schema";
import type { Env } from "../env";
import { deliverNotice } from "../notify/deliver";
import { type FailedNotice, notifyMessages, type NotifyTargets } from "../notify/dispatch";
import { MAX_ATTEMPTS, RETRY_BACKOFF_SECONDS } from "../webhooks/deliver";
import type { Timer, Timers } from "./timers";

/** While an attempt runs, its timer is pushed past the attempt's own 10 s timeout. */
const LEASE_MS = 15_000;

interface NoticeRetry extends FailedNotice {
  /** The attempt this timer makes (the first one was made when the message was sent). */
  attempt: number;
}

export class RoomNotices {
  constructor(
    private readonly env: Env,
    private readonly db: Db,
    private readonly timers: Timers,
  ) {}

  /** New messages waiting for the next read of who is told, and whether a read is in flight (see notify). */
  private waiting: { message: MessageDto; done: () => void }[] = [];
  private reading = false;

  /**
   * Notifies `message`'s people now (the caller hands the promise to waitUntil). New messages share one
   * read of who is told (notify/dispatch.ts), one read at a time: those of a group commit (posts.ts), which
   * all settle at once, wait a microtask for each other, and those that come while a read is in flight go
   * with the next. A reminder's or an escalation's (narrowed to its people) goes alone.
   */
  notify(message: MessageDto, targets: NotifyTargets = {}): Promise<void> {
    if (targets.userIds || targets.occasion) return notifyMessages(this.env, [message], targets, this.retryLater(message.channelId));
    return new Promise<void>((done) => {
      this.waiting.push({ message, done });
      if (this.reading) return;
      this.reading = true;
      queueMicrotask(() => void this.readWaiting());
    });
  }

  /** Notifies the waiting messages (all of the room's one channel), one read at a time, until none is left. */
  private async readWaiting(): Promise<void> {
    while (this.waiting.length) {
      const group = this.waiting;
      this.waiting = [];
      const { channelId } = group[0]!.message;
      let onRead = () => {};
      const read = new Promise<void>((resolve) => {
        onRead = resolve;
      });
      const sent = notifyMessages(
        this.env,
        group.map((w) => w.message),
        {},
        this.retryLater(channelId),
        new Date(),
        onRead,
      );
      void sent.then(() => {
        for (const w of group) w.done();
      });
      await Promise.race([read, sent]);
    }
    this.reading = false;
  }

  /** Turns a channel's failed sends into timers of the room. */
  private retryLater(channelId: string) {
    return (failed: FailedNotice[]) => this.scheduleRetries(channelId, failed);
  }

  private async scheduleRetries(channelId: string, failed: FailedNotice[]): Promise<void> {
    for (const f of failed) await this.schedule(channelId, { ...f, attempt: 2 });
  }

  private schedule(channelId: string, retry: NoticeRetry): Promise<void> {
    const wait = RETRY_BACKOFF_SECONDS[retry.attempt - 2]! * 1000;
    return this.timers.set({ key: `notice:${retry.deliveryId}`, kind: "notice", channelId, dueAt: Date.now() + wait, data: { ...retry } });
  }

  /** One retry of a channel's notice (the alarm's); schedules the next on failure. */
  async retry(timer: Timer): Promise<void> {
    const retry = timer.data as unknown as NoticeRetry;
    const channel = await this.db.query.notificationChannels.findFirst({ where: eq(notificationChannels.id, retry.notificationChannelId) });
    if (!channel?.enabled) return this.timers.delete(timer.key);
    // Leased past the attempt's own timeout: a restart during it tries again instead of losing it.
    await this.timers.set({ ...timer, dueAt: Date.now() + LEASE_MS });
    const { attempt } = await deliverNotice(this.env, this.db, channel, retry.notice, retry.deliveryId);
    this.timers.delete(timer.key);
    if (!attempt.ok && !attempt.gone && retry.attempt < MAX_ATTEMPTS) await this.schedule(timer.channelId, { ...retry, attempt: retry.attempt + 1 });
  }
}
