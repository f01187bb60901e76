// ChannelRoom: one Durable Object per channel (agent), named by the channel id.
//
// Every write to a channel passes through here, one at a time, so the room can promise what D1 alone
// cannot: `seq` grows by exactly one per message, a review is answered at most once, and a parked
// long-poll is released the instant its review is settled, without anyone polling the database.
//
// State: D1 holds the records. In memory the room keeps only what can be rebuilt or may be lost with
// the instance: the last seq (re-read from D1 after a restart), the parked waits (their HTTP requests
// end with the instance too, and the clients retry), and wake-up timers for reviews that expire while
// someone waits.
import { DurableObject } from "cloudflare:workers";
import { and, eq, inArray, max } from "drizzle-orm";
import { db, type Db } from "../db/client";
import { agents, agentStatusHistory, attachments, messages } from "../db/schema";
import type { Env } from "../env";
import type { FieldError } from "../lib/errors";
import { zodErrors } from "../lib/errors";
import { newId, nowIso } from "../lib/ids";
import { responseSchema } from "../schemas/review";
import { findMessage, messageDto, type MessageDto, type MessageRow, withAttachments } from "../services/messages";
import type { AgentRow } from "../services/agents";
import type { NewMessage, RoomResult, StatusReport, WaitResult } from "./types";

const fail = (status: 400 | 404 | 409 | 410, message: string, errors?: FieldError[]) =>
  ({ ok: false, status, message, ...(errors ? { errors } : {}) }) as const;

export class ChannelRoom extends DurableObject<Env> {
  private readonly db: Db = db(this.env.DB);
  /** The channel's highest seq; undefined until read from D1 (or after a failed write). */
  private lastSeq: number | undefined;
  /** The end of the queue of writes; each write starts when the previous one is done. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Parked long-polls, by message id. */
  private readonly waiters = new Map<string, Set<(result: WaitResult) => void>>();
  /** Wake-ups for reviews that expire while someone waits, by message id. */
  private readonly expiryTimers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Runs channel writes one at a time, in arrival order. */
  private serial<T>(write: () => Promise<T>): Promise<T> {
    const run = this.tail.then(write, write);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async nextSeq(channelId: string): Promise<number> {
    if (this.lastSeq === undefined) {
      const [row] = await this.db.select({ seq: max(messages.seq) }).from(messages).where(eq(messages.channelId, channelId));
      this.lastSeq = row?.seq ?? 0;
    }
    return this.lastSeq + 1;
  }

  // ---- messages ------------------------------------------------------------------------------

  /** Stores a message with the next seq and links its attachments, all in one D1 transaction. */
  async post(input: NewMessage): Promise<RoomResult<{ message: MessageDto; created: boolean }>> {
    return this.serial(async () => {
      if (input.idempotencyKey) {
        const earlier = await this.db.query.messages.findFirst({
          where: and(eq(messages.channelId, input.channelId), eq(messages.idempotencyKey, input.idempotencyKey)),
        });
        if (earlier) {
          const [message] = await withAttachments(this.db, [earlier], input.senderType === "agent" ? "agent" : "person");
          return { ok: true, value: { message: message!, created: false } } as const;
        }
      }

      const files = input.attachmentIds.length
        ? await this.db.select().from(attachments).where(and(inArray(attachments.id, input.attachmentIds), eq(attachments.channelId, input.channelId)))
        : [];
      const unusable = input.attachmentIds
        .map((id, i) => ({ id, i, file: files.find((f) => f.id === id) }))
        .filter(({ file }) => !file || file.messageId !== null);
      if (unusable.length) {
        return fail(
          400,
          "Some attachments cannot be used",
          unusable.map(({ i, file }) => ({
            path: `attachmentIds.${i}`,
            message: file ? "already attached to another message" : "no such file in this channel",
          })),
        );
      }

      const seq = await this.nextSeq(input.channelId);
      const now = nowIso();
      const row: MessageRow = {
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
        createdAt: now,
      };
      try {
        await this.db.batch([
          this.db.insert(messages).values(row),
          ...(files.length ? [this.db.update(attachments).set({ messageId: row.id }).where(inArray(attachments.id, input.attachmentIds))] : []),
          ...(input.senderType === "agent" ? [this.db.update(agents).set({ lastActiveAt: now }).where(eq(agents.id, input.channelId))] : []),
        ]);
      } catch (err) {
        this.lastSeq = undefined; // the write may or may not have landed: re-read before the next one
        throw err;
      }
      this.lastSeq = seq;
      const ordered = input.attachmentIds.map((id) => files.find((f) => f.id === id)!);
      return { ok: true, value: { message: messageDto(row, ordered.map((f) => ({ ...f, messageId: row.id })), "agent"), created: true } } as const;
    });
  }

  /** A person answers a review: the first valid answer wins, later ones get 409, late ones 410. */
  async respond(channelId: string, messageId: string, response: unknown): Promise<RoomResult<MessageDto>> {
    return this.serial(async () => {
      const row = await findMessage(this.db, channelId, messageId);
      if (!row?.reviewType) return fail(404, "Review not found");
      if (row.reviewStatus === "completed") return fail(409, "This review has already been answered");
      if (row.reviewStatus === "expired" || this.isDue(row)) {
        await this.settleExpired(row);
        return fail(410, "This review has expired");
      }
      const parsed = responseSchema({ type: row.reviewType, payload: row.reviewPayload ?? {} }).safeParse(response);
      if (!parsed.success) return fail(400, "The response does not fit this review", zodErrors(parsed.error, "response"));

      const completedAt = nowIso();
      const answer = parsed.data as Record<string, unknown>;
      const result = await this.db
        .update(messages)
        .set({ reviewStatus: "completed", reviewResponse: answer, reviewCompletedAt: completedAt })
        .where(and(eq(messages.id, messageId), eq(messages.reviewStatus, "pending")));
      if (result.meta.changes === 0) return fail(409, "This review has already been answered");

      const updated: MessageRow = { ...row, reviewStatus: "completed", reviewResponse: answer, reviewCompletedAt: completedAt };
      const [forAgent] = await withAttachments(this.db, [updated], "agent");
      this.release(messageId, { status: "completed", message: forAgent! });
      const [forPerson] = await withAttachments(this.db, [updated], "person");
      return { ok: true, value: forPerson! } as const;
    });
  }

  /**
   * A long-poll: resolves at once when the review is settled, else parks until it is answered,
   * expires, is retracted, or `timeoutMs` passes.
   */
  async wait(channelId: string, messageId: string, timeoutMs: number): Promise<WaitResult> {
    // Park first, then read: an answer landing during the read still finds this waiter.
    let resolveWait!: (result: WaitResult) => void;
    const settled = new Promise<WaitResult>((resolve) => (resolveWait = resolve));
    const parked = this.waiters.get(messageId) ?? new Set();
    parked.add(resolveWait);
    this.waiters.set(messageId, parked);
    const unpark = () => {
      parked.delete(resolveWait);
      if (parked.size === 0 && this.waiters.get(messageId) === parked) this.waiters.delete(messageId);
    };

    const row = await findMessage(this.db, channelId, messageId);
    if (!row?.reviewType) {
      unpark();
      return { status: "gone" };
    }
    if (row.reviewStatus === "completed") {
      unpark();
      const [message] = await withAttachments(this.db, [row], "agent");
      return { status: "completed", message: message! };
    }
    if (row.reviewStatus === "expired" || this.isDue(row)) {
      unpark();
      return { status: "expired", message: await this.settleExpired(row) };
    }

    this.wakeAtExpiry(row);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<WaitResult>((resolve) => (timer = setTimeout(() => resolve({ status: "timeout" }), timeoutMs)));
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
      unpark();
    }
  }

  /** The agent confirms it has the message; `agent_received` is final. */
  async ack(channelId: string, messageId: string): Promise<RoomResult<MessageDto>> {
    return this.serial(async () => {
      const row = await findMessage(this.db, channelId, messageId);
      if (!row) return fail(404, "Message not found");
      if (row.deliveryStatus !== "agent_received") {
        await this.db.update(messages).set({ deliveryStatus: "agent_received" }).where(eq(messages.id, messageId));
      }
      const [message] = await withAttachments(this.db, [{ ...row, deliveryStatus: "agent_received" }], "agent");
      return { ok: true, value: message! } as const;
    });
  }

  /** Retracts a message: its files go, a pending review stops and its waiters get 404. */
  async retract(channelId: string, messageId: string): Promise<RoomResult<{ id: string }>> {
    return this.serial(async () => {
      const row = await findMessage(this.db, channelId, messageId);
      if (!row) return fail(404, "Message not found");
      const files = await this.db.select({ key: attachments.r2Key }).from(attachments).where(eq(attachments.messageId, messageId));
      await this.db.delete(messages).where(eq(messages.id, messageId)); // attachments cascade
      if (files.length) await this.env.FILES.delete(files.map((f) => f.key));
      this.release(messageId, { status: "gone" });
      return { ok: true, value: { id: messageId } } as const;
    });
  }

  /** Deletes the channel itself with everything in it. */
  async destroy(channelId: string): Promise<void> {
    return this.serial(async () => {
      const files = await this.db.select({ key: attachments.r2Key }).from(attachments).where(eq(attachments.channelId, channelId));
      await this.db.delete(agents).where(eq(agents.id, channelId)); // messages, attachments, history cascade
      for (let i = 0; i < files.length; i += 1000) await this.env.FILES.delete(files.slice(i, i + 1000).map((f) => f.key));
      for (const id of [...this.waiters.keys()]) this.release(id, { status: "gone" });
      this.lastSeq = undefined;
    });
  }

  /** A heartbeat: a history row every time; `statusSince` moves only when the status changes. */
  async reportStatus(report: StatusReport): Promise<AgentRow | undefined> {
    return this.serial(async () => {
      const agent = await this.db.query.agents.findFirst({ where: eq(agents.id, report.agentId) });
      if (!agent) return undefined;
      const now = nowIso();
      const changes = {
        status: report.status,
        statusMessage: report.message ?? null,
        statusSince: agent.status === report.status && agent.statusSince ? agent.statusSince : now,
        lastActiveAt: now,
      };
      await this.db.batch([
        this.db.update(agents).set(changes).where(eq(agents.id, agent.id)),
        this.db.insert(agentStatusHistory).values({ id: newId(), agentId: agent.id, status: report.status, message: report.message ?? null, createdAt: now }),
      ]);
      return { ...agent, ...changes };
    });
  }

  // ---- expiry --------------------------------------------------------------------------------

  private isDue(row: MessageRow): boolean {
    return row.reviewStatus === "pending" && row.reviewExpiresAt !== null && Date.parse(row.reviewExpiresAt) <= Date.now();
  }

  /** Marks a due review expired (once) and releases its waiters. Safe to call again. */
  private async settleExpired(row: MessageRow): Promise<MessageDto> {
    if (row.reviewStatus === "pending") {
      await this.db
        .update(messages)
        .set({ reviewStatus: "expired" })
        .where(and(eq(messages.id, row.id), eq(messages.reviewStatus, "pending")));
    }
    const [message] = await withAttachments(this.db, [{ ...row, reviewStatus: "expired" }], "agent");
    this.release(row.id, { status: "expired", message: message! });
    return message!;
  }

  /** While someone waits on a review, wake up when it expires. */
  private wakeAtExpiry(row: MessageRow) {
    if (!row.reviewExpiresAt || this.expiryTimers.has(row.id)) return;
    const delay = Date.parse(row.reviewExpiresAt) - Date.now();
    if (delay > 2 ** 31 - 1) return;
    const timer = setTimeout(() => {
      this.expiryTimers.delete(row.id);
      void this.serial(async () => {
        const current = await findMessage(this.db, row.channelId, row.id);
        if (current && this.isDue(current)) await this.settleExpired(current);
      });
    }, Math.max(0, delay));
    this.expiryTimers.set(row.id, timer);
  }

  private release(messageId: string, result: WaitResult) {
    const timer = this.expiryTimers.get(messageId);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(messageId);
    const parked = this.waiters.get(messageId);
    if (!parked) return;
    this.waiters.delete(messageId);
    for (const resolve of parked) resolve(result);
  }
}
