// A person's side of the conversation: reading, writing to an agent, answering reviews, the inbox.
import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../env";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import { inboxCountQuery, inboxQuery, listMessagesQuery, userMessageBody } from "../../contract/requests/message";
import { resolveChannel, visibleAgent } from "../services/agents";
import { runCommand } from "../services/commands";
import { answerLinkRequestRoutes } from "../answer-links/routes";
import {
  countMessages,
  idempotencyKey,
  iterationChain,
  listMessages,
  managedMessage,
  newMessage,
  ownMessage,
  pageOf,
  visibleMessage,
  withAttachments,
} from "../services/messages";

export const userMessageRoutes = new Hono<AppEnv>()
  .get("/", doc("A conversation, newest first"), query(listMessagesQuery), async (c) => {
    const q = c.req.valid("query");
    const p = c.get("principal");
    const d = c.var.db;
    const agent = await resolveChannel(d, p, q.channel);
    // messages.user_id is the agent's owner, who may be someone else when the caller is a member.
    return c.json(await listMessages(d, { userId: agent.userId, channelIds: [agent.id], ...pageOf(q) }, "person"));
  })
  .post("/", doc("Write to an agent", { responses: { 201: "The stored message" } }), jsonBody(userMessageBody), async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    // The agent row (read for the access check: its owner or a member) carries its commands: a command costs no extra round trip.
    const { agent } = await visibleAgent(c.var.db, p, body.channelId);
    const key = idempotencyKey(c.req.header("idempotency-key"), body.clientId);
    const command = body.command ? runCommand(agent, body.command) : undefined;
    const post = newMessage(p, agent, { text: body.text, attachmentIds: body.attachmentIds, idempotencyKey: key, ...command });
    const { message, created } = unwrap(await roomOf(c.env, agent.id).post(post));
    return c.json(message, created ? 201 : 200);
  })
  .get("/iterations/:id", doc("The iteration chain of a message (any of its ids), by iteration"), async (c) => {
    const d = c.var.db;
    const { row } = await visibleMessage(d, c.get("principal"), c.req.param("id"));
    return c.json(await iterationChain(d, row, "person"));
  })
  .post("/:id/retry-webhook", doc("Send the message's webhook again now (400 if it has none; the agent's owner only: 403 for a member)"), async (c) => {
    const d = c.var.db;
    const row = await managedMessage(d, c.get("principal"), c.req.param("id"), "retry its webhooks");
    unwrap(await roomOf(c.env, row.channelId).retryWebhook(row.channelId, row.id));
    const [message] = await withAttachments(d, [await ownMessage(d, c.get("principal"), row.id)], "person");
    return c.json(message!);
  })
  .route("/", answerLinkRequestRoutes); // POST /:id/answer-link (answer-links/routes.ts)

/** The inbox's filters as listMessages and countMessages take them: one agent (owner or member) or all the person sees. */
async function inboxOptions(c: Context<AppEnv>, q: z.output<typeof inboxCountQuery>) {
  const p = c.get("principal");
  const d = c.var.db;
  // One agent: its owner's messages (the caller may be a member). Else every agent the person owns or is a member of.
  const agent = q.channel ? (await visibleAgent(d, p, q.channel)).agent : undefined;
  // A view brings its own status (pending, or any for answered-by-me) unless the query names one.
  const explicit = c.req.query("status") !== undefined;
  const status = q.view && !explicit ? (q.view === "answered-by-me" ? "all" : "pending") : q.status;
  return {
    userId: agent?.userId ?? p.userId,
    members: agent === undefined,
    channelIds: agent ? [agent.id] : undefined,
    reviewStatus: status === "all" ? ("any" as const) : status,
    ...(q.view ? { view: q.view, viewer: p.userId } : {}),
    ...(q.search ? { search: q.search } : {}),
  };
}

export const inboxRoutes = new Hono<AppEnv>()
  .get(
    "/",
    doc("The inbox: reviews across the person's agents and those they are a member of, newest first; `view` for a team's views"),
    query(inboxQuery),
    async (c) => {
      const q = c.req.valid("query");
      // Across agents the list is ordered by id; within one agent by seq. Both are newest first.
      return c.json(await listMessages(c.var.db, { ...(await inboxOptions(c, q)), ...pageOf(q) }, "person"));
    },
  )
  .get(
    "/count",
    doc("How many reviews the inbox would list in all (`{count}`): the badge asks for `view=assigned-to-me`"),
    query(inboxCountQuery),
    async (c) => {
      const q = c.req.valid("query");
      return c.json({ count: await countMessages(c.var.db, await inboxOptions(c, q)) } satisfies { count: number });
    },
  );
