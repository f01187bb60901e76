// Agent API: messages, delivery acks, and reviews (including the long-poll).
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ApiError, invalid, notFound, zodErrors, type FieldError } from "../lib/errors";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import {
  channelQuery,
  listMessagesQuery,
  postMessageBody,
  streamIdSchema,
  streamUpdateBody,
  waitQuery,
  type PostMessageBody,
} from "../../contract/requests/message";
import { responseSchema, reviewExpiry } from "../../contract/requests/review";
import { resolveChannel, type AgentRow } from "../services/agents";
import { membersOf, resolvePeople, type Member } from "../services/members";
import type { Db } from "../db/client";
import type { StoredReviewPolicy } from "../db/schema";
import type { JsonObject } from "../../contract/json";
import { idempotencyKey, iterationChain, listMessages, newMessage, ownMessage, pageOf, withAttachments } from "../services/messages";
import type { NewMessage } from "../room/types";
import { assertWebhookUrls } from "../webhooks/ssrf";
import { logError } from "../lib/log";
import { releaseUnposted, storeTextFiles } from "../files/store";

type ReviewBody = NonNullable<PostMessageBody["review"]>;

/** The people a review names, as the request has them (checked by zod, or not yet: see everyReviewProblem). */
interface NamedPeople {
  assignees?: unknown;
  quorum?: unknown;
  escalate?: unknown;
}

const policyNeedsMembers = (review: NamedPeople) => Array.isArray(review.assignees) || isObject(review.quorum) || isObject(review.escalate);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `refs` (a list of emails or user ids) resolved against the members; entries that are not strings are zod's to report. */
function peopleOf(members: readonly Member[], refs: unknown, path: string) {
  if (!Array.isArray(refs)) return { people: [], errors: [] };
  const trimmed = refs.map((r) => (typeof r === "string" ? r.trim() : ""));
  const { people, errors } = resolvePeople(members, trimmed, path);
  return { people, errors: errors.filter((e) => trimmed[Number(e.path.split(".").at(-1))] !== "") };
}

/**
 * What only the agent's members can tell of a review's policy: every assignee and every person it
 * escalates to must be a member (owner included), and without assignees the quorum must be reachable by
 * the members. The people resolved, and one error per problem.
 */
function memberProblems(members: readonly Member[], review: NamedPeople) {
  const assignees = peopleOf(members, review.assignees, "review.assignees");
  const escalateTo = peopleOf(members, isObject(review.escalate) ? review.escalate.to : undefined, "review.escalate.to");
  const errors: FieldError[] = [...assignees.errors, ...escalateTo.errors];
  const count = isObject(review.quorum) ? review.quorum.count : undefined;
  if (!Array.isArray(review.assignees) && typeof count === "number" && count > members.length) {
    const n = members.length;
    errors.push({
      path: "review.quorum.count",
      message: `${count} votes can never be reached: this agent has ${n} ${n === 1 ? "person" : "people"} who may answer (its owner and members)`,
    });
  }
  return { assignees: assignees.people, escalateTo: escalateTo.people, errors };
}

/**
 * The review as its room stores it: the expiry, and the policy with its people resolved to members (one
 * query, only when the policy names people or has a quorum). Every problem in one 400.
 */
async function reviewOf(d: Db, agent: AgentRow, body: PostMessageBody): Promise<NewMessage["review"]> {
  const review = body.review;
  if (!review) return undefined;
  const errors: FieldError[] = [];
  const expiresAt = reviewExpiry(review);
  if (review.expiresInSeconds == null && review.expiresAt != null && expiresAt.getTime() <= Date.now()) {
    errors.push({ path: "review.expiresAt", message: "must be in the future" });
  }
  const members = policyNeedsMembers(review) ? await membersOf(d, agent) : [];
  const people = memberProblems(members, review);
  errors.push(...people.errors);
  if (errors.length) throw invalid(errors);
  const policy = storedPolicy(review, people.assignees, people.escalateTo);
  return {
    type: review.type,
    payload: review.payload,
    expiresAt: expiresAt.toISOString(),
    ...(review.callback ? { callback: review.callback } : {}),
    ...(policy ? { policy } : {}),
  };
}

/** The policy to store (undefined when the review has none): the request's, with people resolved and the default answer as validated. */
function storedPolicy(
  review: ReviewBody,
  assignees: StoredReviewPolicy["assignees"] & {},
  escalateTo: StoredReviewPolicy["assignees"] & {},
): StoredReviewPolicy | undefined {
  const { quorum, onExpire, remind, escalate, priority } = review;
  if (!review.assignees && !quorum && !onExpire && !remind && !escalate && !priority) return undefined;
  const stored = { type: review.type, payload: review.payload as Record<string, unknown> };
  return {
    assignees: review.assignees ? assignees : null,
    quorum: quorum ? { count: quorum.count, ...(quorum.veto ? { veto: quorum.veto } : {}) } : null,
    onExpire: onExpire ? { response: responseSchema(stored).parse(onExpire.response) as JsonObject } : null,
    remind: remind ? { everySeconds: remind.everySeconds, ...(remind.max !== undefined ? { max: remind.max } : {}) } : null,
    escalate: escalate ? { afterSeconds: escalate.afterSeconds, to: escalateTo } : null,
    priority: priority ?? null,
  };
}

/** Deeper JSON than this is left to jsonBody to refuse. */
const MAX_JSON_DEPTH = 32;

function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * One 400 for every problem of a review's policy: when the body's schema refuses a review that names
 * people (or has a quorum), the answer also lists what only the members can tell (who is not a member,
 * a quorum the members cannot reach), which the route would otherwise check only once the rest is right.
 * Any other body goes on to jsonBody untouched (and is parsed once).
 */
const everyReviewProblem: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) return next();
  const raw: unknown = await c.req.json().catch(() => undefined);
  if (!isObject(raw) || !isObject(raw.review) || !policyNeedsMembers(raw.review) || deeperThan(raw, MAX_JSON_DEPTH)) return next();
  const parsed = postMessageBody.safeParse(raw);
  if (parsed.success) return next();
  const channelId = typeof raw.channelId === "string" ? raw.channelId : undefined;
  const agent = await resolveChannel(c.var.db, c.get("principal"), channelId).catch(() => undefined);
  const extra = agent ? memberProblems(await membersOf(c.var.db, agent), raw.review).errors : [];
  throw invalid([...zodErrors(parsed.error), ...extra]);
};

export const messageRoutes = new Hono<AppEnv>()
  .post(
    "/messages",
    doc("Send a message, optionally asking for a review", { responses: { 201: "The stored message", 200: "An idempotent replay: the first message" } }),
    everyReviewProblem,
    jsonBody(postMessageBody),
    async (c) => {
      const body = c.req.valid("json");
      const p = c.get("principal");
      assertWebhookUrls(c.env, [
        ["webhookUrl", body.webhookUrl],
        ["review.callback.url", body.review?.callback?.url],
      ]);
      const agent = await resolveChannel(c.var.db, p, body.channelId);
      const key = idempotencyKey(c.req.header("idempotency-key"), body.clientId ?? undefined);
      const review = await reviewOf(c.var.db, agent, body);
      // Stored once every check has passed; what becomes of them if the post fails: releaseUnposted.
      const textFiles = await storeTextFiles(c, p, agent.id, body.textAttachments ?? []);
      const post = newMessage(p, agent.id, {
        text: body.text,
        status: body.status,
        metadata: body.metadata ?? undefined,
        webhookUrl: body.webhookUrl ?? undefined,
        review,
        attachmentIds: [...(body.attachmentIds ?? []), ...textFiles.map((f) => f.id)],
        idempotencyKey: key,
        iterationOf: body.iterationOf ?? undefined,
        ...(body.streamId && body.streamState ? { stream: { streamId: body.streamId, streamState: body.streamState } } : {}),
      });
      const result = await roomOf(c.env, agent.id).post(post);
      await releaseUnposted(c, textFiles, result);
      const { message, created } = unwrap(result);
      return c.json(message, created ? 201 : 200);
    },
  )
  .patch(
    "/messages/streams/:streamId",
    doc("Update a streamed draft: its whole text so far; `complete: true` finishes it (404 unknown stream, 409 once complete)", {
      responses: { 200: "The draft as stored now" },
    }),
    jsonBody(streamUpdateBody),
    async (c) => {
      const body = c.req.valid("json");
      const streamId = streamIdSchema.safeParse(c.req.param("streamId"));
      if (!streamId.success) throw invalid(zodErrors(streamId.error, "streamId"));
      const p = c.get("principal");
      // The ownership check (a read) comes before the room: no room is woken for a channel that is not the caller's.
      const { id: channelId } = await resolveChannel(c.var.db, p, body.channelId ?? undefined);
      const message = unwrap(await roomOf(c.env, channelId).updateStream(channelId, p.userId, streamId.data, body.text, body.complete === true));
      return c.json(message);
    },
  )
  .get("/messages", doc("List a channel's messages, newest first (or oldest first after a seq)"), query(listMessagesQuery), async (c) => {
    const q = c.req.valid("query");
    const p = c.get("principal");
    const d = c.var.db;
    const agent = await resolveChannel(d, p, q.channel);
    return c.json(await listMessages(d, { userId: p.userId, channelIds: [agent.id], ...pageOf(q) }, "agent"));
  })
  .get("/messages/iterations/:id", doc("The iteration chain of a message (any of its ids), by iteration"), query(channelQuery), async (c) => {
    const d = c.var.db;
    const row = await ownMessage(d, c.get("principal"), c.req.param("id"), c.req.valid("query").channel);
    return c.json(await iterationChain(d, row, "agent"));
  })
  .get("/messages/:id", doc("One message"), query(channelQuery), async (c) => {
    const d = c.var.db;
    const row = await ownMessage(d, c.get("principal"), c.req.param("id"), c.req.valid("query").channel);
    const [message] = await withAttachments(d, [row], "agent");
    return c.json(message!);
  })
  .delete(
    "/messages/:id",
    doc("Retract a message: a pending review stops and its waiters get 404 (409 while a revision iterates on it)"),
    query(channelQuery),
    async (c) => {
      const row = await ownMessage(c.var.db, c.get("principal"), c.req.param("id"), c.req.valid("query").channel);
      unwrap(await roomOf(c.env, row.channelId).retract(row.channelId, row.id));
      return c.json({ id: row.id, deleted: true });
    },
  )
  .post("/messages/:id/ack", doc("Acknowledge receipt: deliveryStatus becomes agent_received"), query(channelQuery), async (c) => {
    const row = await ownMessage(c.var.db, c.get("principal"), c.req.param("id"), c.req.valid("query").channel);
    unwrap(await roomOf(c.env, row.channelId).ack(row.channelId, row.id));
    return c.json({ acknowledged: true });
  })
  .get(
    "/reviews/pending",
    doc("Pending reviews, newest first: a bare array (Placet's shape), at most `limit`"),
    query(listMessagesQuery.omit({ after: true })),
    async (c) => {
      const q = c.req.valid("query");
      const p = c.get("principal");
      const d = c.var.db;
      // Without a channel: every agent the key may use (no read of the agents: the key's scope says it).
      const channelIds = q.channel ? [(await resolveChannel(d, p, q.channel)).id] : (p.agentIds ?? undefined);
      const page = await listMessages(d, { userId: p.userId, channelIds, reviewStatus: "pending", ...pageOf(q) }, "agent");
      return c.json(page.data);
    },
  )
  .get("/reviews/:id", doc("A message with its review (404 if it has none)"), query(channelQuery), async (c) => {
    const d = c.var.db;
    const row = await ownMessage(d, c.get("principal"), c.req.param("id"), c.req.valid("query").channel);
    if (!row.reviewType) throw notFound("Review");
    const [message] = await withAttachments(d, [row], "agent");
    return c.json(message!);
  })
  .get("/reviews/:id/wait", doc("Long-poll until the review is answered or expires, or the timeout passes"), query(waitQuery), async (c) => {
    const q = c.req.valid("query");
    const row = await ownMessage(c.var.db, c.get("principal"), c.req.param("id"), q.channel);
    if (!row.reviewType) throw notFound("Review");
    const result = await roomOf(c.env, row.channelId)
      .wait(row.channelId, row.id, q.timeout)
      .catch((err: unknown) => {
        // The room restarted (deploy, eviction) while the wait was parked: nothing is lost, wait again.
        logError("wait interrupted", row.id, err);
        throw new ApiError(503, "The wait was interrupted: call it again", [], { "Retry-After": "0" });
      });
    if (result.status === "gone") throw notFound("Review");
    return c.body(result.body, 200, { "content-type": "application/json" });
  });
