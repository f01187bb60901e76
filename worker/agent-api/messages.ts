// Agent API: messages, delivery acks, and reviews (including the long-poll).
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError, invalid, notFound, zodErrors } from "../lib/errors";
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
import { reviewExpiry } from "../../contract/requests/review";
import { resolveChannel } from "../services/agents";
import { idempotencyKey, iterationChain, listMessages, newMessage, ownMessage, pageOf, withAttachments } from "../services/messages";
import type { NewMessage } from "../room/types";
import { assertWebhookUrls } from "../webhooks/ssrf";
import { logError } from "../lib/log";
import { releaseUnposted, storeTextFiles } from "../files/store";

function reviewOf(body: PostMessageBody): NewMessage["review"] {
  const review = body.review;
  if (!review) return undefined;
  const expiresAt = reviewExpiry(review);
  if (review.expiresInSeconds == null && review.expiresAt != null && expiresAt.getTime() <= Date.now()) {
    throw invalid([{ path: "review.expiresAt", message: "must be in the future" }]);
  }
  return {
    type: review.type,
    payload: review.payload,
    expiresAt: expiresAt.toISOString(),
    ...(review.callback ? { callback: review.callback } : {}),
  };
}

export const messageRoutes = new Hono<AppEnv>()
  .post(
    "/messages",
    doc("Send a message, optionally asking for a review", { responses: { 201: "The stored message", 200: "An idempotent replay: the first message" } }),
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
      const review = reviewOf(body);
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
