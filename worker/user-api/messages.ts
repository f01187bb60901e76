// A person's side of the conversation: reading, writing to an agent, answering reviews, the inbox.
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import { inboxQuery, listMessagesQuery, respondBody, userMessageBody } from "../../contract/requests/message";
import { ownAgent, resolveChannel } from "../services/agents";
import { runCommand } from "../services/commands";
import { requestOrigin } from "../audit/writer";
import { idempotencyKey, iterationChain, listMessages, newMessage, ownMessage, pageOf, withAttachments } from "../services/messages";

export const userMessageRoutes = new Hono<AppEnv>()
  .get("/", doc("A conversation, newest first"), query(listMessagesQuery), async (c) => {
    const q = c.req.valid("query");
    const p = c.get("principal");
    const d = c.var.db;
    const agent = await resolveChannel(d, p, q.channel);
    return c.json(await listMessages(d, { userId: p.userId, channelIds: [agent.id], ...pageOf(q) }, "person"));
  })
  .post("/", doc("Write to an agent", { responses: { 201: "The stored message" } }), jsonBody(userMessageBody), async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    // The agent row (read for the ownership check) carries its commands: a command costs no extra round trip.
    const agent = await ownAgent(c.var.db, p, body.channelId);
    const key = idempotencyKey(c.req.header("idempotency-key"), body.clientId);
    const command = body.command ? runCommand(agent, body.command) : undefined;
    const post = newMessage(p, agent.id, { text: body.text, attachmentIds: body.attachmentIds, idempotencyKey: key, ...command });
    const { message, created } = unwrap(await roomOf(c.env, agent.id).post(post));
    return c.json(message, created ? 201 : 200);
  })
  .get("/iterations/:id", doc("The iteration chain of a message (any of its ids), by iteration"), async (c) => {
    const d = c.var.db;
    const row = await ownMessage(d, c.get("principal"), c.req.param("id"));
    return c.json(await iterationChain(d, row, "person"));
  })
  .post("/:id/respond", doc("Answer a review, with optional feedback (400 invalid, 409 already answered, 410 expired)"), jsonBody(respondBody), async (c) => {
    const p = c.get("principal");
    const row = await ownMessage(c.var.db, p, c.req.param("id"));
    const { response, feedback } = c.req.valid("json");
    const answer = {
      response,
      feedback: feedback || null, // blank feedback is no feedback
      by: { id: p.userId, displayName: p.displayName ?? "" },
      via: "app",
      origin: requestOrigin(c.req.raw.headers),
    } as const;
    const message = unwrap(await roomOf(c.env, row.channelId).respond(row.channelId, row.id, answer));
    return c.json(message);
  })
  .post("/:id/retry-webhook", doc("Send the message's webhook again now (400 if it has none)"), async (c) => {
    const d = c.var.db;
    const row = await ownMessage(d, c.get("principal"), c.req.param("id"));
    unwrap(await roomOf(c.env, row.channelId).retryWebhook(row.channelId, row.id));
    const [message] = await withAttachments(d, [await ownMessage(d, c.get("principal"), row.id)], "person");
    return c.json(message!);
  });

export const inboxRoutes = new Hono<AppEnv>().get("/", doc("The inbox: reviews across all agents, newest first"), query(inboxQuery), async (c) => {
  const q = c.req.valid("query");
  const p = c.get("principal");
  const d = c.var.db;
  const channelIds = q.channel ? [(await ownAgent(d, p, q.channel)).id] : undefined; // a person sees every agent of theirs
  const reviewStatus = q.status === "all" ? "any" : q.status;
  // Across agents the list is ordered by id; within one agent by seq. Both are newest first.
  return c.json(await listMessages(d, { userId: p.userId, channelIds, reviewStatus, ...pageOf(q) }, "person"));
});
