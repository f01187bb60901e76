// Webhook deliveries of one room: each is a timer (so a restart cannot lose it), attempted at once,
// logged per attempt in D1, retried with backoff through the room's alarm until a 2xx, a 410, or the
// last attempt. Every change of the message's deliveryStatus becomes a `message:delivery` event.
//
// The timer is the delivery's intent, recorded in the room's storage *before* the write that causes it
// (`intend`): a restart between that write and the first attempt leaves the timer to fire. Each attempt
// checks that its event really happened in D1, so an intent whose write never landed ends quietly.
//
// Every attempt that reaches a send is also an entry of the channel's audit log (webhook_delivered or
// webhook_failed), through the room's audit writer: the event, the receiver's host (never its path, query
// or credentials), the status code and the attempt number.
import { and, eq, ne } from "drizzle-orm";
import type { Db } from "../db/client";
import { agents, messages, webhookDeliveries } from "../db/schema";
import type { Env } from "../env";
import { newId, nowIso } from "../lib/ids";
import type { DeliveryStatus } from "../../contract/enums";
import { findMessage, withAttachments } from "../services/messages";
import { MAX_ATTEMPTS, RETRY_BACKOFF_SECONDS, sendWebhook, webhookPayload, webhookTarget, type WebhookEventName } from "../webhooks/deliver";
import { webhookPolicy } from "../webhooks/ssrf";
import type { Timer, Timers } from "./timers";
import type { RoomEvent } from "./types";
import { type AuditInput, systemActor } from "../audit/writer";
import { logError } from "../lib/log";
import type { MessageRow } from "../services/messages";

export const deliveryKey = (messageId: string, event: WebhookEventName) => `webhook:${messageId}:${event}`;

/** Whether the write an event stands for is in D1. */
function happened(event: WebhookEventName, row: MessageRow): boolean {
  if (event === "review:responded") return row.reviewStatus === "completed";
  if (event === "review:expired") return row.reviewStatus === "expired";
  return true; // message:created: the row exists
}

/** A delivery's state, kept in its timer. The body is fixed at the first attempt, so retries resend it. */
interface DeliveryData {
  messageId: string;
  event: WebhookEventName;
  body?: string;
  attempt: number;
}

/** Appends an entry to the channel's audit log (the room's AuditWriter.append; it never throws). */
export type AuditAppend = (channelId: string, input: AuditInput) => Promise<void>;

/** The host (and port) of a webhook URL: what the audit log may keep of it. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** While an attempt runs, its timer is pushed past the attempt's own 10 s timeout. */
const LEASE_MS = 15_000;

export class Deliveries {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly env: Env,
    private readonly db: Db,
    private readonly timers: Timers,
    private readonly emit: (event: RoomEvent) => void,
    private readonly audit: AuditAppend = async () => {},
  ) {}

  /** Records that `event` of a message is to be delivered; the first attempt is due when the lease ends. */
  async intend(channelId: string, messageId: string, event: WebhookEventName): Promise<Timer> {
    const data: DeliveryData = { messageId, event, attempt: 1 };
    const timer: Timer = { key: deliveryKey(messageId, event), kind: "webhook", channelId, dueAt: Date.now() + LEASE_MS, data: { ...data } };
    await this.timers.set(timer);
    return timer;
  }

  /** Drops an intent whose write did not happen (e.g. the answer lost its race). */
  forget(timer: Timer): void {
    this.timers.delete(timer.key);
  }

  /** The first attempt of a recorded intent, now, off the caller's path; a failure leaves it to the alarm. */
  kick(timer: Timer): Promise<void> {
    return this.attempt(timer).catch((err) => logError("webhook attempt failed; the alarm retries it", timer.key, err));
  }

  /**
   * Sends `event` of a message again by hand and returns the first attempt (undefined when the
   * message has no webhook to send).
   */
  async resend(channelId: string, messageId: string, event: WebhookEventName): Promise<{ firstAttempt: Promise<void> } | undefined> {
    const [row, agent] = await this.messageAndAgent(channelId, messageId);
    if (!row || !agent || !webhookTarget(event, row, agent)) return undefined;
    const timer = await this.intend(channelId, messageId, event);
    return { firstAttempt: this.attempt(timer) };
  }

  /** The message and its agent (the whole row: webhook URL, headers, auth, secret), read side by side. */
  private messageAndAgent(channelId: string, messageId: string) {
    return Promise.all([findMessage(this.db, channelId, messageId), this.db.query.agents.findFirst({ where: eq(agents.id, channelId) })]);
  }

  /** One attempt of a delivery timer; safe to call again (a running attempt is not doubled). */
  async attempt(timer: Timer): Promise<void> {
    if (this.inFlight.has(timer.key)) return;
    this.inFlight.add(timer.key);
    try {
      await this.attemptOnce(timer);
    } finally {
      this.inFlight.delete(timer.key);
    }
  }

  private async attemptOnce(timer: Timer) {
    const data = timer.data as unknown as DeliveryData;
    // The agent is read at every attempt: its webhook URL, headers and auth may have changed since the last.
    const [row, agent] = await this.messageAndAgent(timer.channelId, data.messageId);
    const target = row && agent && happened(data.event, row) ? webhookTarget(data.event, row, agent) : null;
    if (!row || !agent || !target) {
      // The message, the agent or its webhook is gone, or the write behind the intent never landed.
      this.timers.delete(timer.key);
      return;
    }
    if (data.body === undefined) {
      const [message] = await withAttachments(this.db, [row], "agent");
      data.body = JSON.stringify(webhookPayload(data.event, message!, nowIso()));
    }
    timer = { ...timer, data: { ...data } };
    await this.timers.set({ ...timer, dueAt: Date.now() + LEASE_MS });
    const deliveryId = `msg_${data.messageId}_${data.event.replace(":", "_")}`;
    const result = await sendWebhook(target, data.body!, deliveryId, agent.webhookSecret, webhookPolicy(this.env));
    await this.db.insert(webhookDeliveries).values({
      id: newId(),
      messageId: data.messageId,
      channelId: timer.channelId,
      event: data.event,
      url: target.url,
      attempt: data.attempt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error,
      createdAt: nowIso(),
    });
    const final = result.ok || result.gone || data.attempt >= MAX_ATTEMPTS;
    await this.audit(timer.channelId, {
      action: result.ok ? "webhook_delivered" : "webhook_failed",
      actor: systemActor,
      messageId: data.messageId,
      data: { event: data.event, host: hostOf(target.url), statusCode: result.statusCode, attempt: data.attempt, retrying: !final },
    });
    await this.setStatus(timer.channelId, data.messageId, result.ok ? "webhook_delivered" : "webhook_failed");
    if (final) {
      this.timers.delete(timer.key);
      await this.timers.rearm();
      return;
    }
    const wait = RETRY_BACKOFF_SECONDS[data.attempt - 1]! * 1000;
    await this.timers.set({ ...timer, dueAt: Date.now() + wait, data: { ...data, attempt: data.attempt + 1 } });
    await this.timers.rearm();
  }

  /** Moves deliveryStatus (never away from the final `agent_received`) and tells subscribers. */
  async setStatus(channelId: string, messageId: string, status: DeliveryStatus): Promise<void> {
    const result = await this.db
      .update(messages)
      .set({ deliveryStatus: status })
      .where(and(eq(messages.id, messageId), ne(messages.deliveryStatus, "agent_received"), ne(messages.deliveryStatus, status)));
    if (result.meta.changes > 0) this.emit({ channelId, name: "message:delivery", data: { messageId, deliveryStatus: status } });
  }
}
