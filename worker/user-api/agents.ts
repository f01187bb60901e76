// A person's agents: settings, webhook secret, stats, status history and read markers.
import { and, count, desc, eq, max, sql, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import type { AgentListItemDto, AgentStatsDto, ListDto, StatusHistoryRowDto } from "../../contract/dto";
import { agents, agentStatusHistory, channelReads, messages } from "../db/schema";
import type { AppEnv } from "../env";
import { nowIso } from "../lib/ids";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf } from "../room";
import { createAgentBody, markReadBody, statusHistoryQuery, updateAgentBody } from "../../contract/requests/agent";
import { createAgent, newWebhookSecret, ownAgent, ownerAgentDto, updateAgent } from "../services/agents";
import { reviewFilter } from "../services/messages";

export const userAgentRoutes = new Hono<AppEnv>()
  .get("/", doc("The person's agents with unread counts"), async (c) => {
    const userId = c.get("principal").userId;
    const d = c.var.db;
    const [list, unread] = await Promise.all([
      d.select().from(agents).where(eq(agents.userId, userId)).orderBy(agents.createdAt),
      d
        .select({ agentId: messages.channelId, n: count() })
        .from(messages)
        .leftJoin(channelReads, and(eq(channelReads.agentId, messages.channelId), eq(channelReads.userId, userId)))
        .where(and(eq(messages.userId, userId), eq(messages.senderType, "agent"), sql`${messages.seq} > coalesce(${channelReads.lastReadSeq}, 0)`))
        .groupBy(messages.channelId),
    ]);
    return c.json({
      data: list.map((a) => ({ ...ownerAgentDto(a), unreadCount: unread.find((u) => u.agentId === a.id)?.n ?? 0 })),
    } satisfies ListDto<AgentListItemDto>);
  })
  .post("/", doc("Create an agent", { responses: { 201: "The new agent" } }), jsonBody(createAgentBody), async (c) => {
    return c.json(ownerAgentDto(await createAgent(c.var.db, c.env, c.get("principal").userId, c.req.valid("json"))), 201);
  })
  .get("/:id", doc("One agent, with its webhook secret"), async (c) => {
    return c.json(ownerAgentDto(await ownAgent(c.var.db, c.get("principal"), c.req.param("id"))));
  })
  .patch("/:id", doc("Change an agent"), jsonBody(updateAgentBody), async (c) => {
    const d = c.var.db;
    const agent = await ownAgent(d, c.get("principal"), c.req.param("id"));
    return c.json(ownerAgentDto(await updateAgent(d, c.env, agent, c.req.valid("json"))));
  })
  .delete("/:id", doc("Delete an agent with all its messages and files"), async (c) => {
    const agent = await ownAgent(c.var.db, c.get("principal"), c.req.param("id"));
    await roomOf(c.env, agent.id).destroy(agent.id);
    return c.json({ id: agent.id, deleted: true });
  })
  .post("/:id/rotate-webhook-secret", doc("Replace the webhook signing secret"), async (c) => {
    const d = c.var.db;
    const agent = await ownAgent(d, c.get("principal"), c.req.param("id"));
    const webhookSecret = newWebhookSecret();
    await d.update(agents).set({ webhookSecret }).where(eq(agents.id, agent.id));
    return c.json(ownerAgentDto({ ...agent, webhookSecret }));
  })
  .get("/:id/stats", doc("Message counts: sent, answered, expired, pending, webhook failures"), async (c) => {
    const d = c.var.db;
    const agent = await ownAgent(d, c.get("principal"), c.req.param("id"));
    const n = (cond: SQL) => sql<number>`coalesce(sum(case when ${cond} then 1 else 0 end), 0)`;
    const [row] = await d
      .select({
        sent: n(sql`${messages.senderType} = 'agent'`),
        received: n(sql`${messages.senderType} = 'user'`),
        reviews: n(sql`${messages.reviewStatus} is not null`),
        pending: n(reviewFilter("pending")),
        answered: n(reviewFilter("completed")),
        expired: n(reviewFilter("expired")),
        webhookFailures: n(sql`${messages.deliveryStatus} = 'webhook_failed'`),
      })
      .from(messages)
      .where(eq(messages.channelId, agent.id));
    return c.json({ agentId: agent.id, ...row! } satisfies AgentStatsDto);
  })
  .get("/:id/status-history", doc("The agent's status reports, newest first"), query(statusHistoryQuery), async (c) => {
    const d = c.var.db;
    const agent = await ownAgent(d, c.get("principal"), c.req.param("id"));
    const rows = await d
      .select({ status: agentStatusHistory.status, message: agentStatusHistory.message, createdAt: agentStatusHistory.createdAt })
      .from(agentStatusHistory)
      .where(eq(agentStatusHistory.agentId, agent.id))
      .orderBy(desc(agentStatusHistory.createdAt))
      .limit(c.req.valid("query").limit);
    return c.json({ data: rows } satisfies ListDto<StatusHistoryRowDto>);
  })
  .post("/:id/read", doc("Mark the conversation read up to a seq (default: all of it)"), jsonBody(markReadBody, { optional: true }), async (c) => {
    const d = c.var.db;
    const userId = c.get("principal").userId;
    const agent = await ownAgent(d, c.get("principal"), c.req.param("id"));
    let seq = c.req.valid("json").seq;
    if (seq === undefined) {
      const [row] = await d
        .select({ seq: max(messages.seq) })
        .from(messages)
        .where(eq(messages.channelId, agent.id));
      seq = row?.seq ?? 0;
    }
    await d
      .insert(channelReads)
      .values({ userId, agentId: agent.id, lastReadSeq: seq, updatedAt: nowIso() })
      .onConflictDoUpdate({ target: [channelReads.userId, channelReads.agentId], set: { lastReadSeq: seq, updatedAt: nowIso() } });
    return c.json({ agentId: agent.id, lastReadSeq: seq });
  });
