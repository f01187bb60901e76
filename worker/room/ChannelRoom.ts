// ChannelRoom: one Durable Object per channel (agent), named by the channel id.
//
// Every write to a channel passes through here, one at a time, so the room can promise what D1 alone
// cannot: `seq` grows by exactly one per message, a review is answered at most once, and a parked
// long-poll is released the instant its review is settled, without anyone polling the database.
//
// State: D1 holds the records. The room's own SQLite storage holds its timers (review expiries, reminders
// and escalations, webhook retries and idle streamed drafts, multiplexed over one alarm: timers.ts). In memory it keeps only what can be
// rebuilt or may be lost with the instance: the last seq (re-read from D1 after a restart), the parked waits
// (their HTTP requests end with the instance too, and the clients retry), and what spares the hot paths a D1
// read: the keys and sessions that used the channel, its owner and members (access.ts), and its reviews' state
// (known-reviews.ts).
//
// Side effects of a settled write (events to subscribers, webhooks, push notifications) run after the D1 write
// commits. What must not be lost (an expiry, a reminder, an escalation, a webhook) is recorded as a timer in
// the room's storage before the write, so a restart at any point leaves the timer to do it; each timer
// re-checks D1 when it fires.
//
// Team decisions (a review's policy, room/policy.ts) are decided here too: who may answer, every vote of a
// quorum (one at a time, so none is counted twice or lost), the default answer at expiry; and every such
// step is appended to the channel's audit log after its D1 write commits.
import { DurableObject } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { db, type Db } from "../db/client";
import { agents, agentStatusHistory, attachments, messages } from "../db/schema";
import type { Caller, Env } from "../env";
import type { FieldError } from "../lib/errors";
import { zodErrors } from "../lib/errors";
import { newId, nowIso } from "../lib/ids";
import { responseSchema } from "../../contract/requests/review";
import type { AgentCommandDto, MessageDto, VoteDto } from "../../contract/dto";
import type { JsonObject } from "../../contract/json";
import { attachmentsQuery, findMessage, isDue, messageDto, newMessage, type AttachmentRow, type MessageRow, type PostFields } from "../services/messages";
import type { AgentRow } from "../services/agents";
import type { Answer, EncodedWait, NewMessage, Refused, RoomEvent, RoomResult, StatusReport, WaitResult } from "./types";
import { Deliveries, deliveryKey } from "./deliveries";
import { PostCommitter, type PostResult } from "./posts";
import { SeqMark } from "./seq-mark";
import { purgeMessagesBefore, type PurgeResult } from "./retention";
import { escalateKey, expiryKey, remindKey, reviewTimerKeys, Timers, type Timer } from "./timers";
import { decideQuorum, names, union } from "./policy";
import { Nudges } from "./nudges";
import { membersOf } from "../services/members";
import { allShards, gatewayOf } from "../gateway/shards";
import { ShardOutbox } from "./outbox";
import { armStreamTimer, changeDraft, streamKey, streamTimerDue, type StreamUpdate } from "./streams";
import { deleteObjects } from "../files/r2";
import { pushSettled } from "../push/send";
import { RoomNotices } from "./notices";
import { logError } from "../lib/log";
import { RoomAccess } from "./access";
import { KnownReviews, type ReviewState } from "./known-reviews";
import { AuditWriter, personActor, systemActor, type AuditActor, type AuditInput } from "../audit/writer";

const fail = (status: 400 | 403 | 404 | 409 | 410, message: string, errors?: FieldError[]) =>
  ({ ok: false, status, message, ...(errors ? { errors } : {}) }) as const;

const RECENT_EVENTS = 100;

export class ChannelRoom extends DurableObject<Env> {
  private readonly db: Db = db(this.env.DB);
  /** The end of the queue of writes; each write starts when the previous one is done. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Parked long-polls, by message id. */
  private readonly waiters = new Map<string, Set<(result: EncodedWait) => void>>();
  private readonly timers = new Timers(this.ctx.storage);
  private readonly deliveries = new Deliveries(
    this.env,
    this.db,
    this.timers,
    (event) => this.emit(event),
    (channelId, input) => this.audit.append(channelId, input), // webhook attempts are audit entries too
  );
  /** Posts, committed in groups; the channel's seq lives there. */
  private readonly posts = new PostCommitter(
    this.db,
    new SeqMark(this.ctx.storage.sql),
    (row) => this.recordIntents(row),
    (write) => this.serial(write),
    (row) => this.reviews.set(row),
  );
  /** The channel's reviews as last written or read here: the room is their only writer. */
  private readonly reviews = new KnownReviews();
  /** The keys and sessions that used the channel lately, its owner and members: a post, a wait or an answer is admitted without a read. */
  private readonly access = new RoomAccess(this.db, (promise) => this.ctx.waitUntil(promise));
  /** The channel's audit log: appended only from here, so its hash chain has one writer. */
  private readonly audit = new AuditWriter(this.db);
  /** The last audit append (the writer runs them in call order): awaited before a request's answer. */
  private audited: Promise<void> = Promise.resolve();
  /** Notifications of the channel's messages, and their channels' retries (notices.ts). */
  private readonly notices = new RoomNotices(this.env, this.db, this.timers);
  /** A review's reminders and escalation, fired by their timers (nudges.ts). */
  private readonly nudges = new Nudges({
    db: this.db,
    env: this.env,
    timers: this.timers,
    serial: (write) => this.serial(write),
    record: (channelId, input) => this.record(channelId, input),
    audited: () => this.audited,
    emit: (event) => this.emit(event),
    reviewChanged: (row) => this.reviews.set(row),
    post: (input) => this.posts.post(input),
    notify: (message, targets) => this.ctx.waitUntil(this.notices.notify(message, targets)),
  });
  /** The last events, newest last. */
  private readonly recent: RoomEvent[] = [];
  /** Per gateway shard, the events on their way there: one call at a time, so they arrive in order. */
  private readonly outboxes = new Map<string, ShardOutbox>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Which gateway shards get the channel's events (see fanOut), kept in storage so a restarted room still knows.
    ctx.storage.sql.exec("DROP TABLE IF EXISTS gateways"); // the registry before event_routes: every shard registered first
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS event_routes (shard TEXT PRIMARY KEY, added_at INTEGER NOT NULL DEFAULT 0, declined_at INTEGER)");
  }

  /** Runs channel writes one at a time, in arrival order. */
  private serial<T>(write: () => Promise<T>): Promise<T> {
    const run = this.tail.then(write, write);
    this.tail = run.catch(() => undefined);
    return run;
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * Every event of the channel goes out through here: message:created, message:deleted, message:updated,
   * review:responded, review:expired, message:delivery, agent:status (and agent:commands). It goes once to each gateway
   * shard that has subscribers (the shard fans it out to its sockets); the last ones are also kept
   * in memory for `recentEvents()`.
   */
  private emit(event: RoomEvent) {
    this.recent.push(event);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    this.fanOut(event);
  }

  /**
   * The shards that get the channel's events: every shard of the deployment until it answers that none of
   * its sockets follows the channel, and again once one does (the shard then calls addGateway). A socket
   * that subscribes costs this room nothing unless its shard had declined: a person who follows a
   * thousand idle agents wakes none of their rooms. A shard outside the deployment's list (a test's)
   * gets events only after it registered.
   */
  private eventShards(): string[] {
    const routes = this.ctx.storage.sql
      .exec<{ shard: string; added_at: number; declined_at: number | null }>("SELECT shard, added_at, declined_at FROM event_routes")
      .toArray();
    const declined = new Set(routes.filter((r) => r.declined_at !== null && r.added_at < r.declined_at).map((r) => r.shard));
    const shards = new Set([...allShards(this.env), ...routes.filter((r) => r.added_at > 0).map((r) => r.shard)]);
    return [...shards].filter((shard) => !declined.has(shard));
  }

  /** Sends an event once to each shard that may have subscribers on the channel. */
  private fanOut(event: RoomEvent) {
    for (const shard of this.eventShards()) {
      let outbox = this.outboxes.get(shard);
      if (!outbox) {
        outbox = new ShardOutbox(
          (events) => gatewayOf(this.env, shard).deliverAll(events),
          (anyone, sentAt) => {
            // No subscriber there: skip the shard until it registers again (a registration after sentAt wins).
            if (!anyone) {
              this.ctx.storage.sql.exec(
                "INSERT INTO event_routes (shard, declined_at) VALUES (?, ?) ON CONFLICT (shard) DO UPDATE SET declined_at = excluded.declined_at",
                shard,
                sentAt,
              );
            }
          },
          (err, events) => logError("event delivery to gateway failed", shard, events.map((e) => e.name).join(","), err),
        );
        this.outboxes.set(shard, outbox);
      }
      outbox.send(event);
    }
  }

  /** A socket on `shard` now follows this channel, and the shard had declined it (or is outside the deployment's list). */
  async addGateway(shard: string): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT INTO event_routes (shard, added_at) VALUES (?, ?) ON CONFLICT (shard) DO UPDATE SET added_at = excluded.added_at",
      shard,
      Date.now(),
    );
  }

  /**
   * A live event an agent's socket sent (message:delta, message:progress), checked by the gateway:
   * relayed to the channel's subscribers like the room's own events, never stored, not kept in `recent`.
   *
   * Why through the room and not from the agent's shard straight to every shard: the room knows which
   * shards declined the channel (its `event_routes` table), so a delta costs one hop in and one per shard
   * that may have subscribers out; and it leaves in order with the room's own
   * events of the channel (a PATCH's message:updated), through the same outboxes (outbox.ts).
   */
  async relay(event: Extract<RoomEvent, { name: "message:delta" | "message:progress" }>): Promise<void> {
    this.fanOut(event);
  }

  async recentEvents(): Promise<RoomEvent[]> {
    return [...this.recent];
  }

  /** Records a decision-relevant change made outside the room (a membership change) in the channel's audit log. */
  async recordAudit(channelId: string, input: AuditInput): Promise<void> {
    await this.audit.append(channelId, input);
  }

  /**
   * Appends to the audit log after a write of the room has committed, in the order of the calls (so in
   * the write queue's order when called from it); the room's instance keeps running until it is written.
   */
  private record(channelId: string, input: AuditInput): void {
    const appended = this.audit.append(channelId, input);
    this.ctx.waitUntil(appended);
    this.audited = appended;
  }

  // ---- messages ------------------------------------------------------------------------------

  /** An agent's post (its key checked here, access.ts): stored as `post` stores it. */
  async postAs(caller: Caller, channelId: string, fields: PostFields): Promise<PostResult | Refused> {
    const admitted = await this.access.admit(caller, channelId);
    if (!admitted.ok) return admitted;
    return this.post(newMessage(admitted.value, channelId, fields));
  }

  /** An agent's long-poll (its key checked here, access.ts): see `wait`. */
  async waitAs(caller: Caller, channelId: string, messageId: string, timeoutMs: number): Promise<RoomResult<EncodedWait> | Refused> {
    const admitted = await this.access.admit(caller, channelId);
    if (!admitted.ok) return admitted;
    return { ok: true, value: await this.wait(channelId, messageId, timeoutMs) };
  }

  /** A person's answer (their session checked here, access.ts): see `respond`. */
  async respondAs(caller: Caller, channelId: string, messageId: string, answer: Omit<Answer, "by">): Promise<RoomResult<MessageDto> | Refused> {
    const admitted = await this.access.admit(caller, channelId);
    if (!admitted.ok) return admitted;
    const person = admitted.value;
    if (person.keyId !== undefined) return fail(404, "Review not found"); // an agent does not answer
    return this.respond(channelId, messageId, { ...answer, by: { id: person.userId, displayName: person.displayName ?? "" } });
  }

  /** Something of the user changed (a key, a session, their name or role, a membership): read from D1 again. */
  async forgetCallers(userId: string): Promise<void> {
    this.access.forget(userId);
  }

  /**
   * Stores a message with the next seq and links its attachments. Posts that arrive while a write is
   * in flight are committed together (group commit): one D1 transaction for the whole group, so a
   * busy channel is not limited to one D1 round trip per message.
   */
  async post(input: NewMessage): Promise<PostResult> {
    const result = await this.posts.post(input);
    if (result.ok && result.value.created) {
      const { message } = result.value;
      this.emit({ channelId: message.channelId, name: "message:created", data: message });
      // A streamed draft notifies the person once, when it completes (streamChanged).
      if (message.senderType === "agent" && message.streamState !== "streaming") this.ctx.waitUntil(this.notices.notify(message));
      else {
        // A person's message goes to the agent's webhook: its intent was recorded before the commit (recordIntents).
        const delivery = this.timers.get(deliveryKey(message.id, "message:created"));
        if (delivery) this.ctx.waitUntil(this.deliveries.kick(delivery));
      }
      if (message.review) {
        const { review } = message;
        const actor: AuditActor = { type: "agent", id: message.senderId, displayName: null };
        const policy = { quorum: review.quorum, onExpire: review.onExpire, remind: review.remind, escalate: review.escalate, priority: review.priority };
        this.record(message.channelId, { action: "posted", actor, messageId: message.id, data: { type: review.type, expiresAt: review.expiresAt, ...policy } });
        if (review.assignees) this.record(message.channelId, { action: "assigned", actor, messageId: message.id, data: { assignees: review.assignees } });
        // Not awaited: a post is the hot path, and its entries go with the next group write (audit/writer.ts).
      }
    }
    return result;
  }

  /** What a new message must cause even if the room restarts right after storing it. Runs before the commit. */
  private async recordIntents(row: MessageRow): Promise<void> {
    if (row.reviewExpiresAt) {
      await this.timers.set({
        key: expiryKey(row.id),
        kind: "expire",
        channelId: row.channelId,
        dueAt: Date.parse(row.reviewExpiresAt),
        data: { messageId: row.id },
      });
      // Reminders and the escalation, when they would come before the expiry (after it, the review is settled).
      const { remind, escalate } = row.reviewPolicy ?? {};
      const posted = Date.parse(row.createdAt);
      const expires = Date.parse(row.reviewExpiresAt);
      const arm = async (key: string, kind: "remind" | "escalate", dueAt: number, data: Record<string, unknown>) => {
        if (dueAt < expires) await this.timers.set({ key, kind, channelId: row.channelId, dueAt, data: { messageId: row.id, ...data } });
      };
      if (remind) await arm(remindKey(row.id), "remind", posted + remind.everySeconds * 1000, { sent: 0 });
      if (escalate) await arm(escalateKey(row.id), "escalate", posted + escalate.afterSeconds * 1000, {});
    }
    if (row.senderType === "user") await this.deliveries.intend(row.channelId, row.id, "message:created");
    if (row.streamId && row.streamState === "streaming") await armStreamTimer(this.timers, row.channelId, row.streamId);
  }

  /**
   * A PATCH of a streamed draft: replaces its text with the text so far, and completes it when asked. Only
   * `userId`'s draft matches, so another user's channel id finds nothing (404), as if it did not exist.
   * Pushes the draft's idle deadline back (or drops it once complete); 404 for an unknown stream, 409
   * once it is complete. Emits message:updated with the whole message.
   */
  async updateStream(channelId: string, userId: string, streamId: string, text: string, complete: boolean): Promise<RoomResult<MessageDto>> {
    return this.serial(async () => {
      // Pushed back before the write: a restart after it then leaves a later deadline, never an early one.
      if (!complete) await armStreamTimer(this.timers, channelId, streamId);
      const outcome = await changeDraft(this.db, channelId, streamId, { text, complete }, userId);
      if (!outcome.ok) {
        this.timers.delete(streamKey(streamId)); // no draft to keep alive
        return outcome.status === 404 ? fail(404, "Stream not found") : fail(409, "This stream is already complete: post a new message (or a new streamId)");
      }
      if (complete) this.timers.delete(streamKey(streamId));
      this.streamChanged(outcome.value);
      return { ok: true, value: outcome.value.forAgent } as const;
    });
  }

  /** Tells the subscribers a draft changed; a completed one also notifies the person, as a new message would. */
  private streamChanged({ row, forAgent, forPerson }: StreamUpdate) {
    this.emit({ channelId: row.channelId, name: "message:updated", data: forAgent, personData: forPerson });
    if (row.streamState === "complete" && row.senderType === "agent") this.ctx.waitUntil(this.notices.notify(forAgent));
  }

  /** A draft's idle timer: completed as it stands, unless a PATCH pushed the deadline back or completed it meanwhile. */
  private async finishIdleStream(timer: Timer) {
    await this.serial(async () => {
      if (!streamTimerDue(this.timers, timer)) return; // pushed back: the alarm is re-armed for it
      const outcome = await changeDraft(this.db, timer.channelId, String(timer.data.streamId), { complete: true });
      if (outcome.ok) this.streamChanged(outcome.value);
      this.timers.delete(timer.key);
    });
  }

  /**
   * A person answers a review, with optional feedback for the agent's next iteration: the first valid
   * answer wins, later ones get 409, late ones 410. With assignees only they may answer (403 for anyone
   * else, nothing changes). With a quorum the answer is a vote (one per person, a second one 409): the
   * review stays pending, and every member sees the vote (message:updated), until a choice has `count`
   * votes, a veto option is chosen, or no choice can reach `count` any more (decideQuorum).
   */
  async respond(channelId: string, messageId: string, answer: Answer): Promise<RoomResult<MessageDto>> {
    const { response, by } = answer;
    const result = await this.serial(async () => {
      const row = this.reviews.get(messageId) ?? (await this.readReview(channelId, messageId));
      if (!row?.reviewType) return fail(404, "Review not found");
      if (row.reviewStatus === "completed") return fail(409, "This review has already been answered");
      if (row.reviewStatus === "expired" || isDue(row)) {
        if (isDue(row) && (await this.settleExpired(row)).status === "completed")
          return fail(409, "This review has expired and was settled by its default answer");
        return fail(410, "This review has expired");
      }
      const policy = row.reviewPolicy;
      const votes = row.reviewVotes ?? [];
      if (policy?.assignees && !policy.assignees.some((p) => p.id === by.id)) {
        const waiting = policy.assignees.filter((p) => !votes.some((v) => v.userId === p.id));
        return fail(403, `This review is assigned to ${names(policy.assignees)}; waiting for ${names(waiting)}`);
      }
      if (policy?.quorum && votes.some((v) => v.userId === by.id)) return fail(409, "You have already voted on this review");
      const parsed = responseSchema({ type: row.reviewType, payload: row.reviewPayload ?? {} }).safeParse(response);
      if (!parsed.success) return fail(400, "The response does not fit this review", zodErrors(parsed.error, "response"));
      const chosen = parsed.data as Record<string, unknown>;
      if (policy?.quorum) return this.vote(row, policy.quorum, chosen, answer);

      const settled = {
        reviewStatus: "completed",
        reviewResponse: chosen,
        reviewCompletedAt: nowIso(),
        reviewFeedback: answer.feedback,
        reviewRespondedBy: by,
        reviewResolution: "person",
        reviewVia: answer.via,
      } satisfies Partial<MessageRow>;
      const done = await this.complete(row, settled, [
        {
          action: "answered",
          actor: personActor(by),
          messageId,
          data: { resolution: "person", response: chosen, feedback: answer.feedback, via: answer.via },
          origin: answer.origin,
        },
      ]);
      if (!done) return fail(409, "This review has already been answered");
      return { ok: true, value: done.forPerson } as const;
    });
    await this.audited;
    return result;
  }

  /**
   * A vote on a quorum review, valid and the person's first (checked by respond). Stored with the earlier
   * votes, or, when it decides, as the review's outcome. Either write is conditional on the votes it was
   * counted with, so nothing can count twice. Runs in `serial`.
   */
  private async vote(
    row: ReviewState,
    quorum: NonNullable<NonNullable<MessageRow["reviewPolicy"]>["quorum"]>,
    response: Record<string, unknown>,
    answer: Answer,
  ): Promise<RoomResult<MessageDto>> {
    const { by } = answer;
    const earlier = row.reviewVotes ?? [];
    const votes: VoteDto[] = [...earlier, { userId: by.id, displayName: by.displayName, response: response as JsonObject, at: nowIso() }];
    const voted = new Set(votes.map((v) => v.userId));
    const stillToVote = (await this.couldVote(row)).filter((id) => !voted.has(id)).length;
    const outcome = decideQuorum(row.reviewType!, quorum, votes, stillToVote);
    // The votes as they were read: a write counted with other votes changes nothing.
    const unchanged = and(eq(messages.reviewStatus, "pending"), sql`coalesce(json_array_length(${messages.reviewVotes}), 0) = ${earlier.length}`);
    const votedEntry = { action: "voted", actor: personActor(by), messageId: row.id, data: { response, votes: votes.length }, origin: answer.origin } as const;

    if (!outcome.done) {
      const [[updated], files] = await this.db.batch([
        this.db
          .update(messages)
          .set({ reviewVotes: votes })
          .where(and(eq(messages.id, row.id), unchanged))
          .returning(),
        attachmentsQuery(this.db, row.id),
      ]);
      if (!updated) return fail(409, "The review changed meanwhile: look again");
      this.reviews.set(updated);
      const forPerson = messageDto(updated, files, "person");
      // Every member sees the vote live; the agent's wait stays parked and no webhook goes out.
      this.emit({ channelId: row.channelId, name: "message:updated", data: messageDto(updated, files, "agent"), personData: forPerson });
      this.record(row.channelId, votedEntry);
      return { ok: true, value: forPerson } as const;
    }

    const settled = {
      reviewStatus: "completed",
      reviewResponse: outcome.response,
      reviewCompletedAt: nowIso(),
      reviewFeedback: answer.feedback,
      reviewRespondedBy: by,
      reviewResolution: "quorum",
      reviewVia: answer.via,
      reviewVotes: votes,
      reviewQuorumFailed: outcome.quorumFailed ? true : null,
    } satisfies Partial<MessageRow>;
    const answered = {
      action: "answered",
      actor: personActor(by),
      messageId: row.id,
      data: { resolution: "quorum", response: outcome.response, votes: votes.length, veto: outcome.veto, quorumFailed: outcome.quorumFailed },
      origin: answer.origin,
    } as const;
    const done = await this.complete(row, settled, [votedEntry, answered], unchanged);
    if (!done) return fail(409, "This review has already been answered");
    return { ok: true, value: done.forPerson } as const;
  }

  /**
   * Who may still take part in a review's quorum: its assignees (with those a pending escalation will add),
   * or, without assignees, every member of the agent (its owner included).
   */
  private async couldVote(row: ReviewState): Promise<string[]> {
    const policy = row.reviewPolicy;
    if (policy?.assignees) {
      const pending = policy.escalate && this.timers.get(escalateKey(row.id)) ? policy.escalate.to : [];
      return union(policy.assignees, pending).map((p) => p.id);
    }
    return (await membersOf(this.db, { id: row.channelId, userId: row.userId })).map((m) => m.id);
  }

  /**
   * Completes a pending review (a person's answer, a quorum's outcome, the default at expiry): one write,
   * conditional on the review still pending (and on `guard`), with its audit `entries` and the attachments read in the same round
   * trip. Then its timers go, the parked waits are released, review:responded goes to every subscriber
   * and the webhook out (its intent recorded before the write). Undefined when the write changed nothing.
   * Runs in `serial`.
   */
  private async complete(row: ReviewState, settled: Partial<MessageRow>, entries: AuditInput[], guard?: ReturnType<typeof and>) {
    const delivery = await this.deliveries.intend(row.channelId, row.id, "review:responded");
    // The audit entries go in the write's own batch, right after it: recorded if and only if it landed.
    const { updated, files } = await this.audit.alongside(row.channelId, entries, async (inserts) => {
      const update = this.db
        .update(messages)
        .set(settled)
        .where(and(eq(messages.id, row.id), eq(messages.reviewStatus, "pending"), guard))
        .returning();
      const [rows, ...rest] = (await this.db.batch([update, ...inserts, attachmentsQuery(this.db, row.id)])) as [MessageRow[], ...unknown[]];
      return { value: { updated: rows[0], files: rest.at(-1) as AttachmentRow[] }, landed: rows.length > 0 };
    });
    if (!updated) {
      this.deliveries.forget(delivery);
      return undefined;
    }
    this.reviews.set(updated);
    this.clearReviewTimers(row.id);
    const forAgent = messageDto(updated, files, "agent");
    const forPerson = messageDto(updated, files, "person");
    // Release the parked waits first: that is the answer's fast path to the agent.
    this.release(row.id, { status: "completed", message: forAgent });
    this.emit({ channelId: row.channelId, name: "review:responded", data: forAgent, personData: forPerson });
    this.ctx.waitUntil(this.deliveries.kick(delivery));
    // Every device that shows its notification takes it away (off the answer's path).
    this.ctx.waitUntil(pushSettled(this.env, { channelId: row.channelId, messageId: row.id }, forPerson));
    return { forAgent, forPerson };
  }

  /** A settled (or removed) review's expiry, reminders and escalation: none of them may fire any more. */
  private clearReviewTimers(messageId: string) {
    for (const key of reviewTimerKeys(messageId)) this.timers.delete(key);
  }

  /**
   * A long-poll: resolves at once when the review is settled, else parks until it is answered,
   * expires (the expiry alarm releases it), is retracted, or `timeoutMs` passes. A review the room
   * knows to be pending parks with no read at all.
   */
  async wait(channelId: string, messageId: string, timeoutMs: number): Promise<EncodedWait> {
    const known = this.reviews.get(messageId);
    if (known?.reviewStatus === "pending" && !isDue(known)) return this.park(messageId, timeoutMs).settled;
    // Park first, then read: an answer landing during the read still finds this waiter.
    const parked = this.park(messageId, timeoutMs);
    const { row, files } = await this.readWithFiles(channelId, messageId);
    if (!row?.reviewType) return parked.leave(encodeWait({ status: "gone" }));
    if (row.reviewStatus === "completed") return parked.leave(encodeWait({ status: "completed", message: messageDto(row, files, "agent") }));
    // Settled in the write queue, from a fresh read: an answer committed a moment ago wins, as the store says.
    if (row.reviewStatus === "expired" || isDue(row)) return parked.leave(encodeWait(await this.serial(() => this.settle(channelId, messageId))));
    return parked.settled;
  }

  /**
   * Parks a wait on the message until its outcome is handed out (release) or `timeoutMs` passes; `leave`
   * takes it out again, with the outcome the caller found itself.
   */
  private park(messageId: string, timeoutMs: number) {
    let resolveWait!: (result: EncodedWait) => void;
    const outcome = new Promise<EncodedWait>((resolve) => (resolveWait = resolve));
    const parked = this.waiters.get(messageId) ?? new Set();
    parked.add(resolveWait);
    this.waiters.set(messageId, parked);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unpark = () => {
      clearTimeout(timer);
      parked.delete(resolveWait);
      if (parked.size === 0 && this.waiters.get(messageId) === parked) this.waiters.delete(messageId);
    };
    const timeout = new Promise<EncodedWait>((resolve) => (timer = setTimeout(() => resolve(encodeWait({ status: "timeout" })), timeoutMs)));
    const settled = Promise.race([outcome, timeout]).finally(unpark);
    return {
      settled,
      leave(result: EncodedWait) {
        resolveWait(result);
        return settled;
      },
    };
  }

  /** The agent confirms it has the message; `agent_received` is final. */
  async ack(channelId: string, messageId: string): Promise<RoomResult<{ id: string }>> {
    const row = await findMessage(this.db, channelId, messageId);
    if (!row) return fail(404, "Message not found");
    await this.deliveries.setStatus(channelId, messageId, "agent_received");
    return { ok: true, value: { id: messageId } } as const;
  }

  /** The person asks for the message's webhook to be sent again, now. */
  async retryWebhook(channelId: string, messageId: string): Promise<RoomResult<{ id: string }>> {
    const row = await findMessage(this.db, channelId, messageId);
    if (!row) return fail(404, "Message not found");
    const event =
      row.senderType === "user"
        ? "message:created"
        : row.reviewStatus === "completed"
          ? "review:responded"
          : row.reviewStatus === "expired"
            ? "review:expired"
            : null;
    const delivery = event ? await this.deliveries.resend(channelId, messageId, event) : undefined;
    if (!delivery) return fail(400, "This message has no webhook to send");
    await delivery.firstAttempt;
    return { ok: true, value: { id: messageId } } as const;
  }

  /**
   * Retracts a message: its files go, a pending review stops and its waiters get 404. A message that a
   * revision iterates on stays (409): the chain would lose the version its successor answers.
   */
  async retract(channelId: string, messageId: string): Promise<RoomResult<{ id: string }>> {
    const result = await this.serial(async () => {
      const [[row], successors] = await this.db.batch([
        this.db
          .select()
          .from(messages)
          .where(and(eq(messages.id, messageId), eq(messages.channelId, channelId))),
        this.db
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.iterationOf, messageId), eq(messages.channelId, channelId)))
          .limit(1),
      ]);
      if (!row) return fail(404, "Message not found");
      if (successors.length) {
        return fail(409, "This message cannot be retracted: a later iteration revises it", [
          { path: "id", message: `message ${successors[0]!.id} is its next iteration (iterationOf); retract that one first`, code: "conflict" },
        ]);
      }
      const files = await this.db.select({ key: attachments.r2Key }).from(attachments).where(eq(attachments.messageId, messageId));
      await this.db.delete(messages).where(eq(messages.id, messageId)); // attachments cascade
      await deleteObjects(
        this.env.FILES,
        files.map((f) => f.key),
      );
      this.clearReviewTimers(messageId);
      this.reviews.delete(messageId);
      this.release(messageId, { status: "gone" });
      if (row.reviewType && row.reviewStatus === "pending") this.ctx.waitUntil(pushSettled(this.env, { channelId, messageId }));
      this.record(channelId, {
        action: "retracted",
        actor: { type: "agent", id: row.senderType === "agent" ? row.senderId : channelId, displayName: null },
        messageId,
        data: { reviewType: row.reviewType, reviewStatus: row.reviewStatus },
      });
      return { ok: true, value: { id: messageId } } as const;
    });
    if (result.ok) this.emit({ channelId, name: "message:deleted", data: { messageId } });
    await this.audited;
    return result;
  }

  /** Deletes the channel itself with everything in it. */
  async destroy(channelId: string): Promise<void> {
    return this.serial(async () => {
      const files = await this.db.select({ key: attachments.r2Key }).from(attachments).where(eq(attachments.channelId, channelId));
      await this.db.delete(agents).where(eq(agents.id, channelId)); // messages, attachments, history cascade
      await deleteObjects(
        this.env.FILES,
        files.map((f) => f.key),
      );
      for (const id of [...this.waiters.keys()]) this.release(id, { status: "gone" });
      await this.timers.clear();
      this.posts.forgetSeq();
      this.reviews.clear();
      this.access.forgetAll();
    });
  }

  /** A heartbeat: a history row every time; `statusSince` moves only when the status changes. */
  async reportStatus(report: StatusReport): Promise<AgentRow | undefined> {
    const agent = await this.serial(async () => {
      const current = await this.db.query.agents.findFirst({ where: eq(agents.id, report.agentId) });
      if (!current) return undefined;
      const now = nowIso();
      const changes = {
        status: report.status,
        statusMessage: report.message ?? null,
        statusSince: current.status === report.status && current.statusSince ? current.statusSince : now,
        lastActiveAt: now,
      };
      await this.db.batch([
        this.db.update(agents).set(changes).where(eq(agents.id, current.id)),
        this.db.insert(agentStatusHistory).values({ id: newId(), agentId: current.id, status: report.status, message: report.message ?? null, createdAt: now }),
      ]);
      return { ...current, ...changes };
    });
    if (agent) {
      const { id: agentId, status, statusMessage, statusSince } = agent;
      this.emit({ channelId: agentId, name: "agent:status", data: { agentId, status, statusMessage, statusSince } });
    }
    return agent;
  }

  /**
   * Replaces the agent's slash commands (the owner check is the UPDATE's own WHERE: one round trip) and
   * tells the channel's subscribers, so an open composer's palette changes without a reload.
   */
  async setCommands(agentId: string, userId: string, commands: AgentCommandDto[]): Promise<AgentRow | undefined> {
    const agent = await this.serial(async () => {
      const [row] = await this.db
        .update(agents)
        .set({ commands })
        .where(and(eq(agents.id, agentId), eq(agents.userId, userId)))
        .returning();
      return row;
    });
    if (agent) this.emit({ channelId: agentId, name: "agent:commands", data: { agentId, commands: agent.commands ?? [] } });
    return agent;
  }

  /** Retention (the hourly clean-up): removes one batch of the channel's messages created before `cutoffIso` (room/retention.ts). */
  async purgeBefore(channelId: string, cutoffIso: string): Promise<PurgeResult> {
    const room = {
      db: this.db,
      files: this.env.FILES,
      timers: this.timers,
      release: (id: string) => {
        this.reviews.delete(id);
        this.release(id, { status: "gone" });
      },
    };
    return this.serial(() => purgeMessagesBefore(room, channelId, cutoffIso));
  }

  // ---- timers --------------------------------------------------------------------------------

  /** The one alarm: runs every due timer, then points the alarm at the next one. */
  override async alarm(): Promise<void> {
    for (const timer of this.timers.due(Date.now())) {
      try {
        if (timer.kind === "expire") await this.expireTimer(timer);
        else if (timer.kind === "remind") await this.nudges.remind(timer);
        else if (timer.kind === "escalate") await this.nudges.escalate(timer);
        else if (timer.kind === "stream") await this.finishIdleStream(timer);
        else if (timer.kind === "notice") await this.notices.retry(timer);
        else await this.deliveries.attempt(timer);
      } catch (err) {
        logError("timer failed; retrying in 5 s", timer.key, err);
        await this.timers.set({ ...timer, dueAt: Date.now() + 5000 });
      }
    }
    await this.timers.rearm();
    await this.audited;
  }

  /** An expiry timer: settles the review if it is still pending and really due. */
  private async expireTimer(timer: Timer) {
    await this.serial(async () => {
      const row = await findMessage(this.db, timer.channelId, String(timer.data.messageId));
      if (row && row.reviewStatus === "pending" && !isDue(row)) return; // early: the alarm is re-armed for it
      if (row && row.reviewStatus === "pending") await this.settleExpired(row);
      this.timers.delete(timer.key);
    });
  }

  /**
   * What a wait reports for a review that looked settled or due, read afresh in the write queue:
   * completed if an answer got there first, else expired (settling it now if it is due). Runs in `serial`.
   */
  private async settle(channelId: string, messageId: string): Promise<WaitResult> {
    const { row, files } = await this.readWithFiles(channelId, messageId);
    if (!row?.reviewType) return { status: "gone" };
    if (row.reviewStatus === "pending" && isDue(row)) return this.settleExpired(row);
    if (row.reviewStatus === "pending") return { status: "timeout" }; // not due after all (a clock step): ask again
    return { status: row.reviewStatus === "completed" ? "completed" : "expired", message: messageDto(row, files, "agent") };
  }

  /** The message as D1 has it now and its attachments, in one round trip; its review kept (known-reviews.ts). */
  private async readWithFiles(channelId: string, messageId: string) {
    const [[row], files] = await this.db.batch([
      this.db
        .select()
        .from(messages)
        .where(and(eq(messages.id, messageId), eq(messages.channelId, channelId))),
      attachmentsQuery(this.db, messageId),
    ]);
    if (row) this.reviews.set(row);
    return { row, files };
  }

  /** The message as D1 has it now, its review kept (known-reviews.ts). */
  private async readReview(channelId: string, messageId: string): Promise<MessageRow | undefined> {
    const row = await findMessage(this.db, channelId, messageId);
    if (row) this.reviews.set(row);
    return row;
  }

  /**
   * Settles a due, pending review (once): with a default answer (onExpire) it completes with that answer
   * (resolution "default", by nobody), else it is marked expired. Releases its waiters and tells everyone.
   * Runs in `serial`.
   */
  private async settleExpired(row: ReviewState): Promise<WaitResult> {
    const onExpire = row.reviewPolicy?.onExpire;
    if (onExpire) {
      const settled = {
        reviewStatus: "completed",
        reviewResponse: onExpire.response,
        reviewCompletedAt: nowIso(),
        reviewFeedback: null,
        reviewRespondedBy: null,
        reviewResolution: "default",
        reviewVia: null,
      } satisfies Partial<MessageRow>;
      const done = await this.complete(row, settled, [
        { action: "defaulted", actor: systemActor, messageId: row.id, data: { response: onExpire.response, votes: (row.reviewVotes ?? []).length } },
      ]);
      if (!done) return this.settle(row.channelId, row.id); // settled by someone else between the read and the write
      return { status: "completed", message: done.forAgent };
    }
    const delivery = await this.deliveries.intend(row.channelId, row.id, "review:expired");
    const [[expired], files] = await this.db.batch([
      this.db
        .update(messages)
        .set({ reviewStatus: "expired" })
        .where(and(eq(messages.id, row.id), eq(messages.reviewStatus, "pending")))
        .returning(),
      attachmentsQuery(this.db, row.id),
    ]);
    this.clearReviewTimers(row.id);
    if (!expired) {
      // Settled by someone else between the read and this write: report what the store says.
      this.deliveries.forget(delivery);
      return this.settle(row.channelId, row.id);
    }
    this.reviews.set(expired);
    const message = messageDto(expired, files, "agent");
    const result: WaitResult = { status: "expired", message };
    this.emit({ channelId: row.channelId, name: "review:expired", data: { messageId: row.id } });
    this.record(row.channelId, { action: "expired", actor: systemActor, messageId: row.id, data: { votes: (row.reviewVotes ?? []).length } });
    this.ctx.waitUntil(this.deliveries.kick(delivery));
    this.ctx.waitUntil(pushSettled(this.env, { channelId: row.channelId, messageId: row.id }, message));
    this.release(row.id, result);
    return result;
  }

  /**
   * Hands the outcome to every parked wait of the message, exactly once each. The set leaves `waiters` at
   * once, so a wait arriving from now on reads the settled review from D1 instead (it parks, then reads;
   * the write has committed). The body is encoded once for all. They are released in slices with a turn of
   * the event loop between, so the first slice's responses are on their way before the next is handed out,
   * rather than every agent waiting for the last one's RPC return and Response to be built.
   */
  private release(messageId: string, result: WaitResult) {
    const parked = this.waiters.get(messageId);
    if (!parked) return;
    this.waiters.delete(messageId);
    const encoded = encodeWait(result); // once, however many wait
    const resolvers = [...parked];
    const slice = (from: number, size: number) => {
      for (const resolve of resolvers.slice(from, from + size)) resolve(encoded);
      if (from + size < resolvers.length) setTimeout(() => slice(from + size, RELEASE_SLICE), 0);
    };
    slice(0, FIRST_SLICE);
  }
}

/**
 * Parked waits released per turn of the event loop (see release): small enough that the first agents get
 * their answer at once, large enough that a thousand take few turns.
 */
const RELEASE_SLICE = 25;
/** The first slice, smaller: the first agents' responses leave before a whole slice's are built. */
const FIRST_SLICE = 5;

const encodeWait = (result: WaitResult): EncodedWait => ({ status: result.status, body: JSON.stringify(result) });
