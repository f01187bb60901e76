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

  /** New messages waiting for their notify read, and its end (see notify). */
  private together: { channelId: string; messages: MessageDto[]; done: Promise<void> } | undefined;

  /**
   * Notifies `message`'s people now (the caller hands the promise to waitUntil). A new message's notice
   * waits one microtask for the others of its group commit (posts.ts), which all settle at once: they
   * share one read of who is told (notify/dispatch.ts) instead of one read each. A reminder's or an
   * escalation's (narrowed to its people) goes alone.
   */
  notify(message: MessageDto, targets: NotifyTargets = {}): Promise<void> {
    const retry = (failed: FailedNotice[]) => this.scheduleRetries(message.channelId, failed);
    if (targets.userIds || targets.occasion) return notifyMessages(this.env, [message], targets, retry);
    if (this.together?.channelId === message.channelId) {
      this.together.messages.push(message);
      return this.together.done;
    }
    const messages = [message];
    const done = Promise.resolve().then(() => {
      this.together = undefined;
      return notifyMessages(this.env, messages, {}, retry);
    });
    this.together = { channelId: message.channelId, messages, done };
    return done;
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
