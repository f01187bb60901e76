// Messages as the API shows them (docs/api.md), the reads both APIs share, and the new message every
// route that posts hands its channel's room.
import { and, asc, count, desc, eq, exists, gt, isNotNull, lt, lte, not, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { agentMembers, attachments, messages } from "../db/schema";
import type { Principal } from "../env";
import { invalid, notFound } from "../lib/errors";
import type { AttachmentDto, IterationChainDto, MessageDto, PageDto, ReviewDto } from "../../contract/dto";
import type { InboxView, MessageStatus, ReviewStatus } from "../../contract/enums";
import type { JsonObject } from "../../contract/json";
import { canUseAgent, memberChannel, ownerOnlyError } from "./agents";
import { passwordFields } from "../../contract/requests/review";
import { inList } from "../db/lists";
import { nowIso } from "../lib/ids";
import type { NewMessage } from "../room/types";

export type MessageRow = typeof messages.$inferSelect;
export type AttachmentRow = typeof attachments.$inferSelect;

/** Who reads the message: the agent gets every answer; people never see password fields again. */
export type Audience = "agent" | "person";

export const attachmentDto = (a: AttachmentRow): AttachmentDto => ({
  id: a.id,
  filename: a.filename,
  mimeType: a.mimeType,
  size: a.size,
  ...(a.textContent !== null ? { textContent: a.textContent } : {}),
});

/** A review still pending in D1 whose expiry has passed: its room's alarm is about to settle it. */
export const isDue = (row: Pick<MessageRow, "reviewStatus" | "reviewExpiresAt">, now = Date.now()) =>
  row.reviewStatus === "pending" && row.reviewExpiresAt !== null && Date.parse(row.reviewExpiresAt) <= now;

/**
 * The review's status as every side must report it: a pending review past its expiry is expired, even in
 * the moment before the room's alarm has written that down; unless it has a default answer (`onExpire`),
 * which the alarm is about to give it: that one stays pending until it is completed.
 */
export function reviewStatusOf(row: MessageRow, now = Date.now()): MessageRow["reviewStatus"] {
  return isDue(row, now) && !row.reviewPolicy?.onExpire ? "expired" : row.reviewStatus;
}

function reviewDto(row: MessageRow, audience: Audience): ReviewDto | null {
  if (!row.reviewType || !row.reviewStatus) return null;
  const review = { type: row.reviewType, payload: (row.reviewPayload ?? {}) as JsonObject };
  let response = (row.reviewResponse ?? null) as JsonObject | null;
  if (response && audience === "person") {
    const hidden = passwordFields(review);
    if (hidden.length) response = Object.fromEntries(Object.entries(response).map(([k, v]) => [k, hidden.includes(k) ? "••••••" : v]));
  }
  return {
    ...review,
    status: reviewStatusOf(row)!,
    response,
    expiresAt: row.reviewExpiresAt,
    completedAt: row.reviewCompletedAt,
    completed_at: row.reviewCompletedAt,
    feedback: row.reviewFeedback,
    ...reviewPolicyDto(row),
  };
}

/** The review's policy and how it was settled (docs/api.md, "Review policy"); nulls when the agent set none. */
function reviewPolicyDto(row: MessageRow) {
  const policy = row.reviewPolicy;
  return {
    assignees: policy?.assignees ?? null,
    quorum: policy?.quorum ?? null,
    onExpire: policy?.onExpire ?? null,
    remind: policy?.remind ?? null,
    escalate: policy?.escalate ?? null,
    priority: policy?.priority ?? null,
    votes: row.reviewVotes ?? [],
    respondedBy: row.reviewRespondedBy,
    resolution: row.reviewResolution,
    via: row.reviewVia,
    ...(row.reviewQuorumFailed ? { quorumFailed: true } : {}),
  };
}

export function messageDto(row: MessageRow, files: AttachmentRow[], audience: Audience): MessageDto {
  return {
    id: row.id,
    channelId: row.channelId,
    seq: row.seq,
    senderType: row.senderType,
    senderId: row.senderId,
    text: row.text,
    status: row.status,
    review: reviewDto(row, audience),
    metadata: (row.metadata ?? null) as JsonObject | null,
    deliveryStatus: row.deliveryStatus,
    createdAt: row.createdAt,
    attachments: files.map(attachmentDto),
    iteration: row.iteration,
    iterationGroupId: row.iterationGroupId,
    streamId: row.streamId,
    streamState: row.streamState,
  };
}

/** One message's attachments in posted order, as a query (to batch with a write). */
export const attachmentsQuery = (d: Db, messageId: string) =>
  d.select().from(attachments).where(eq(attachments.messageId, messageId)).orderBy(attachments.position);

/** The attachments of some messages, in one query, each message's in its posted order. */
async function attachmentsOf(d: Db, messageIds: string[]): Promise<AttachmentRow[]> {
  if (messageIds.length === 0) return [];
  return d.select().from(attachments).where(inList(attachments.messageId, messageIds)).orderBy(attachments.position);
}

export async function withAttachments(d: Db, rows: MessageRow[], audience: Audience): Promise<MessageDto[]> {
  const files = await attachmentsOf(
    d,
    rows.map((r) => r.id),
  );
  return rows.map((r) =>
    messageDto(
      r,
      files.filter((f) => f.messageId === r.id),
      audience,
    ),
  );
}

export async function findMessage(d: Db, channelId: string, messageId: string): Promise<MessageRow | undefined> {
  return d.query.messages.findFirst({ where: and(eq(messages.id, messageId), eq(messages.channelId, channelId)) });
}

/** A message the caller may see, found by id alone or checked against `channel`; 404 otherwise. */
export async function ownMessage(d: Db, p: Principal, messageId: string, channel?: string): Promise<MessageRow> {
  const row = await d.query.messages.findFirst({ where: and(eq(messages.id, messageId), eq(messages.userId, p.userId)) });
  if (!row || (channel !== undefined && row.channelId !== channel) || !canUseAgent(p, row.channelId)) throw notFound("Message");
  return row;
}

/** A message the caller sees, and whether they own its agent (else they are one of its members). */
export interface VisibleMessage {
  row: MessageRow;
  owner: boolean;
}

/**
 * A message of an agent the caller owns or (a person) is a member of, in one query; 404 otherwise. An API
 * key sees only its owner's messages (ownMessage).
 */
export async function visibleMessage(d: Db, p: Principal, messageId: string): Promise<VisibleMessage> {
  if (p.keyId !== undefined) return { row: await ownMessage(d, p, messageId), owner: true };
  const [found] = await d
    .select({ row: messages, member: agentMembers.userId })
    .from(messages)
    .leftJoin(agentMembers, and(eq(agentMembers.agentId, messages.channelId), eq(agentMembers.userId, p.userId)))
    .where(and(eq(messages.id, messageId), or(eq(messages.userId, p.userId), isNotNull(agentMembers.userId))))
    .limit(1);
  if (!found || !canUseAgent(p, found.row.channelId)) throw notFound("Message");
  return { row: found.row, owner: found.row.userId === p.userId };
}

/** A message of the caller's own agent, for what only the owner may do (`what`); a member gets 403, anyone else 404. */
export async function managedMessage(d: Db, p: Principal, messageId: string, what: string): Promise<MessageRow> {
  const { row, owner } = await visibleMessage(d, p, messageId);
  if (!owner) throw ownerOnlyError(what);
  return row;
}

/**
 * The iteration chain `row` belongs to, by iteration (branches, which share a number, by seq); a message
 * outside any chain is a chain of its own. Messages retracted or removed by retention are simply absent.
 */
export async function iterationChain(d: Db, row: MessageRow, audience: Audience): Promise<IterationChainDto> {
  if (row.iterationGroupId === null) return { groupId: row.id, iterations: await withAttachments(d, [row], audience) };
  const rows = await d
    .select()
    .from(messages)
    .where(and(eq(messages.channelId, row.channelId), eq(messages.iterationGroupId, row.iterationGroupId)))
    .orderBy(asc(messages.iteration), asc(messages.seq));
  return { groupId: row.iterationGroupId, iterations: await withAttachments(d, rows, audience) };
}

interface ListOptions {
  /** Whose agents: the messages' owner (messages.user_id, the agent's owner). */
  userId: string;
  /** A person's list: also the agents `userId` is a member of. */
  members?: boolean;
  /** A team's inbox view (see viewFilter), for `viewer` (default `userId`). */
  view?: InboxView;
  viewer?: string;
  /** One channel: ordered by seq. Several: ordered by id (roughly creation time). Undefined: every channel of the user. */
  channelIds?: string[] | undefined;
  reviewStatus?: ReviewStatus | "any";
  search?: string;
  /** Only messages with (true) or without (false) attachments. */
  hasAttachments?: boolean;
  limit: number;
  cursor?: string;
  /** Oldest first, seq greater than this (one channel only). */
  after?: number;
}

/** The paging and filter options of a list query, as listMessages takes them. */
export function pageOf(q: {
  limit: number;
  cursor?: string | undefined;
  search?: string | undefined;
  after?: number | undefined;
  has_attachments?: "true" | "false" | undefined;
}) {
  return {
    limit: q.limit,
    ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    ...(q.search ? { search: q.search } : {}),
    ...(q.after !== undefined ? { after: q.after } : {}),
    ...(q.has_attachments !== undefined ? { hasAttachments: q.has_attachments === "true" } : {}),
  };
}

/** Which reviews a status filter means, due ones counted as expired unless a default awaits them (see reviewStatusOf). */
export function reviewFilter(status: NonNullable<ListOptions["reviewStatus"]>): SQL {
  const now = nowIso();
  const awaitsDefault = sql`json_extract(${messages.reviewPolicy}, '$.onExpire') IS NOT NULL`;
  if (status === "any") return isNotNull(messages.reviewStatus);
  if (status === "pending") return and(eq(messages.reviewStatus, "pending"), or(gt(messages.reviewExpiresAt, now), awaitsDefault))!;
  if (status === "expired") {
    return or(eq(messages.reviewStatus, "expired"), and(eq(messages.reviewStatus, "pending"), lte(messages.reviewExpiresAt, now), not(awaitsDefault)))!;
  }
  return eq(messages.reviewStatus, status);
}

/**
 * Whether `userId` may still act on the review: the policy names no assignees, or names them; and they
 * have not voted. Read from the stored JSON (review_policy.assignees, review_votes) in SQL.
 */
function mayStillAct(userId: string): SQL {
  const assigned = sql`(json_extract(${messages.reviewPolicy}, '$.assignees') IS NULL OR EXISTS (SELECT 1 FROM json_each(${messages.reviewPolicy}, '$.assignees') AS a WHERE json_extract(a.value, '$.id') = ${userId}))`;
  return and(assigned, not(votedBy(userId)))!;
}

const votedBy = (userId: string): SQL =>
  sql`EXISTS (SELECT 1 FROM json_each(coalesce(${messages.reviewVotes}, '[]')) AS v WHERE json_extract(v.value, '$.userId') = ${userId})`;

/**
 * A team's inbox view for `userId` (docs/api.md, "The inbox"): `assigned-to-me`, pending reviews they may
 * still act on; `waiting-on-others`, pending reviews they may not (assigned to others, or already voted);
 * `answered-by-me`, reviews they gave the deciding answer to or voted on, whatever their status.
 */
export function viewFilter(view: InboxView, userId: string): SQL {
  switch (view) {
    case "assigned-to-me":
      return and(reviewFilter("pending"), mayStillAct(userId))!;
    case "waiting-on-others":
      return and(reviewFilter("pending"), not(mayStillAct(userId)))!;
    case "answered-by-me":
      return or(sql`json_extract(${messages.reviewRespondedBy}, '$.id') = ${userId}`, votedBy(userId))!;
  }
}

/** The conditions of a list (all but its paging). */
function listConditions(d: Db, o: Omit<ListOptions, "limit">): SQL[] {
  const single = o.channelIds?.length === 1;
  // A member's agents are another owner's: their messages are found by channel.
  const conditions: SQL[] = [o.members ? or(eq(messages.userId, o.userId), memberChannel(messages.channelId, o.userId))! : eq(messages.userId, o.userId)];
  if (single) conditions.push(eq(messages.channelId, o.channelIds![0]!));
  else if (o.channelIds) conditions.push(inList(messages.channelId, o.channelIds));
  if (o.reviewStatus) conditions.push(reviewFilter(o.reviewStatus));
  if (o.view) conditions.push(viewFilter(o.view, o.viewer ?? o.userId));
  // A substring, case-insensitive as LIKE is (ASCII), but without LIKE's pattern limit (50 bytes in D1).
  if (o.search) conditions.push(sql`instr(lower(${messages.text}), lower(${o.search})) > 0`);
  if (o.hasAttachments !== undefined) {
    // attachments_message_idx answers this per message.
    const files = exists(d.select({ one: sql`1` }).from(attachments).where(eq(attachments.messageId, messages.id)));
    conditions.push(o.hasAttachments ? files : not(files));
  }
  return conditions;
}

/** How many messages a list would show in all (the inbox badge: `GET /api/reviews/count`). */
export async function countMessages(d: Db, o: Omit<ListOptions, "limit" | "cursor" | "after">): Promise<number> {
  if (o.channelIds?.length === 0) return 0;
  const [row] = await d
    .select({ n: count() })
    .from(messages)
    .where(and(...listConditions(d, o)));
  return row?.n ?? 0;
}

/** A page of messages, newest first (or oldest first after a seq), with the cursor of the next page. */
export async function listMessages(d: Db, o: ListOptions, audience: Audience): Promise<PageDto<MessageDto>> {
  if (o.channelIds?.length === 0) return { data: [], nextCursor: null };
  const single = o.channelIds?.length === 1;
  const conditions = listConditions(d, o);
  let order: SQL;
  if (single && o.after !== undefined) {
    conditions.push(gt(messages.seq, o.after));
    order = asc(messages.seq);
  } else if (single) {
    const cursor = o.cursor === undefined ? undefined : Number(o.cursor);
    if (cursor !== undefined) {
      if (!Number.isSafeInteger(cursor)) throw invalid([{ path: "query.cursor", message: "not a cursor from this list" }]);
      conditions.push(lt(messages.seq, cursor));
    }
    order = desc(messages.seq);
  } else {
    if (o.cursor !== undefined) conditions.push(lt(messages.id, o.cursor));
    order = desc(messages.id);
  }
  const rows = await d
    .select()
    .from(messages)
    .where(and(...conditions))
    .orderBy(order)
    .limit(o.limit);
  const last = rows[rows.length - 1];
  const nextCursor = rows.length === o.limit && last && o.after === undefined ? (single ? String(last.seq) : last.id) : null;
  return { data: await withAttachments(d, rows, audience), nextCursor };
}

// ---- posting ----------------------------------------------------------------------------------

/** The idempotency key of a post: the `Idempotency-Key` header, else the body's `clientId`. */
export function idempotencyKey(header: string | undefined, clientId: string | undefined) {
  if (header !== undefined && (header.length === 0 || header.length > 200)) {
    throw invalid([{ path: "Idempotency-Key", message: "must be 1 to 200 characters" }]);
  }
  return header ?? clientId;
}

/** What a post carries, validated by its route; anything left out is stored as null (or no attachments). */
export interface PostFields {
  text?: string | null | undefined;
  status?: MessageStatus | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  webhookUrl?: string | undefined;
  review?: NewMessage["review"];
  attachmentIds?: string[] | undefined;
  idempotencyKey?: string | undefined;
  iterationOf?: string | undefined;
  stream?: NewMessage["stream"];
}

/**
 * The message `p` posts to an agent's channel, for its room: an API key speaks as the agent, a person
 * (session) as themselves. The agent API, the user API and file uploads all post through this. The
 * stored `userId` is the agent's owner (messages.user_id): pass the agent row when the poster may be a
 * member; an id alone is the caller's own agent.
 */
export function newMessage(p: Principal, agent: string | { id: string; userId: string }, fields: PostFields): NewMessage {
  const { id: agentId, userId } = typeof agent === "string" ? { id: agent, userId: p.userId } : agent;
  return {
    channelId: agentId,
    userId,
    senderType: p.keyId ? "agent" : "user",
    senderId: p.keyId ? agentId : p.userId,
    text: fields.text ?? null,
    status: fields.status ?? null,
    ...(fields.metadata ? { metadata: fields.metadata } : {}),
    ...(fields.webhookUrl ? { webhookUrl: fields.webhookUrl } : {}),
    ...(fields.review ? { review: fields.review } : {}),
    attachmentIds: fields.attachmentIds ?? [],
    ...(fields.idempotencyKey ? { idempotencyKey: fields.idempotencyKey } : {}),
    ...(fields.iterationOf ? { iterationOf: fields.iterationOf } : {}),
    ...(fields.stream ? { stream: fields.stream } : {}),
  };
}
