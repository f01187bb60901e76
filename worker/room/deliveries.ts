// Webhook deliveries of one room: each is a timer (so a restart cannot lose it), attempted at once,
// logged per attempt in D1, retried with backoff through the room's alarm until a 2xx, a 410, or the
// last attempt. Every change of the message's deliveryStatus becomes a `message:delivery` event.
import { and, eq, ne } from "drizzle-orm";
import type { Db } from "../db/client";
import { agents, messages, webhookDeliveries } from "../db/schema";
import type { Env } from "../env";
import { newId, nowIso } from "../lib/ids";
import type { DeliveryStatus } from "../schemas/message";
import { findMessage, withAttachments } from "../services/messages";
import { MAX_ATTEMPTS, RETRY_BACKOFF_SECONDS, sendWebhook, webhookPayload, webhookTarget, type WebhookEventName } from "../webhooks/deliver";
import { webhookPolicy } from "../webhooks/ssrf";
import type { Timer, Timers } from "./timers";
import type { RoomEvent } from "./types";

/** A delivery's state, kept in its timer. The body is fixed at the first attempt, so retries resend it. */
interface DeliveryData {
  messageId: string;
  event: WebhookEventName;
  body: string;
  attempt: number;
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
  ) {}

  /**
   * Records the delivery of `event` for a message and starts the first attempt, whose promise it
   * returns (callers on a fast path do not wait for it); undefined when there is no webhook to send.
   */
  async start(channelId: string, messageId: string, event: WebhookEventName): Promise<{ firstAttempt: Promise<void> } | undefined> {
    const row = await findMessage(this.db, channelId, messageId);
    const agent = await this.db.query.agents.findFirst({ where: eq(agents.id, channelId) });
    if (!row || !agent || !webhookTarget(event, row, agent)) return undefined;
    const [message] = await withAttachments(this.db, [row], "agent");
    const data: DeliveryData = { messageId, event, body: JSON.stringify(webhookPayload(event, message!, nowIso())), attempt: 1 };
    const timer: Timer = { key: `webhook:${messageId}:${event}`, kind: "webhook", channelId, dueAt: Date.now() + LEASE_MS, data: { ...data } };
    await this.timers.set(timer);
    return { firstAttempt: this.attempt(timer) };
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
    const row = await findMessage(this.db, timer.channelId, data.messageId);
    const agent = await this.db.query.agents.findFirst({ where: eq(agents.id, timer.channelId) });
    const target = row && agent ? webhookTarget(data.event, row, agent) : null;
    if (!row || !agent || !target) {
      this.timers.delete(timer.key); // the message, the agent or its webhook is gone: nothing to deliver
      return;
    }
    await this.timers.set({ ...timer, dueAt: Date.now() + LEASE_MS });
    const deliveryId = `msg_${data.messageId}_${data.event.replace(":", "_")}`;
    const result = await sendWebhook(target, data.body, deliveryId, agent.webhookSecret, webhookPolicy(this.env));
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
    await this.setStatus(timer.channelId, data.messageId, result.ok ? "webhook_delivered" : "webhook_failed");
    if (result.ok || result.gone || data.attempt >= MAX_ATTEMPTS) {
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
