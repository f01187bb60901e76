// Agent API: messages, delivery acks, and reviews (the post and the long-poll are room-routes.ts).
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { invalid, notFound, zodErrors } from "../lib/errors";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import { channelQuery, listMessagesQuery, streamIdSchema, streamUpdateBody } from "../../contract/requests/message";
import { resolveChannel } from "../services/agents";
import { iterationChain, listMessages, ownMessage, pageOf, withAttachments } from "../services/messages";

export const messageRoutes = new Hono<AppEnv>()
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
  });
