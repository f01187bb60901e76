// A person's agents (their own and those they are a member of): settings, webhook secret, stats, status
// history, read markers and members (user-api/members.ts).
import { and, count, desc, eq, max, or, sql, type SQL } from "drizzle-orm";
import { type Context, Hono } from "hono";
import type { AgentListItemDto, AgentStatsDto, ListDto, MemberDto, StatusHistoryRowDto } from "../../contract/dto";
import { agents, agentStatusHistory, channelReads, messages } from "../db/schema";
import type { AppEnv } from "../env";
import { nowIso } from "../lib/ids";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf } from "../room";
import { createAgentBody, markReadBody, memberBody, statusHistoryQuery, updateAgentBody } from "../../contract/requests/agent";
import { personActor, requestOrigin } from "../audit/writer";
import { revokeEverywhere } from "../gateway/revocation";
import { invalid, notFound } from "../lib/errors";
import { addMember, assertManages, membersOf, membershipAccess, personByRef, removeMember } from "../services/members";
import {
  agentViewDto,
  createAgent,
  managedAgent,
  memberAgentDto,
  memberChannel,
  newWebhookSecret,
  ownerAgentDto,
  updateAgent,
  visibleAgent,
  visibleAgentsOf,
} from "../services/agents";
import { reviewFilter } from "../services/messages";

export const userAgentRoutes = new Hono<AppEnv>()
  .get("/", doc("The person's agents and those they are a member of, with unread counts and their access"), async (c) => {
    const p = c.get("principal");
    const userId = p.userId;
    const d = c.var.db;
    const [list, unread] = await Promise.all([
      d.select().from(agents).where(visibleAgentsOf(p)).orderBy(agents.createdAt),
      d
        .select({ agentId: messages.channelId, n: count() })
        .from(messages)
        .leftJoin(channelReads, and(eq(channelReads.agentId, messages.channelId), eq(channelReads.userId, userId)))
        // messages.user_id is the agent's owner: a member's agents are found by channel.
        .where(
          and(
            or(eq(messages.userId, userId), memberChannel(messages.channelId, userId)),
            eq(messages.senderType, "agent"),
            sql`${messages.seq} > coalesce(${channelReads.lastReadSeq}, 0)`,
          ),
        )
        .groupBy(messages.channelId),
    ]);
    return c.json({
      data: list.map((a) => ({
        ...agentViewDto(a, a.userId === userId ? "owner" : "member"),
        unreadCount: unread.find((u) => u.agentId === a.id)?.n ?? 0,
      })),
    } satisfies ListDto<AgentListItemDto>);
  })
  .post("/", doc("Create an agent", { responses: { 201: "The new agent" } }), jsonBody(createAgentBody), async (c) => {
    return c.json(ownerAgentDto(await createAgent(c.var.db, c.env, c.get("principal").userId, c.req.valid("json"))), 201);
  })
  .get("/:id", doc("One agent: the owner's view has its webhook secret, a member's none of the webhook's credentials"), async (c) => {
    const { agent, owner } = await visibleAgent(c.var.db, c.get("principal"), c.req.param("id"));
    return c.json(owner ? ownerAgentDto(agent) : memberAgentDto(agent));
  })
  .patch("/:id", doc("Change an agent (its owner only: 403 for a member)"), jsonBody(updateAgentBody), async (c) => {
    const d = c.var.db;
    const agent = await managedAgent(d, c.get("principal"), c.req.param("id"), "change it");
    return c.json(ownerAgentDto(await updateAgent(d, c.env, agent, c.req.valid("json"))));
  })
  .delete("/:id", doc("Delete an agent with all its messages and files (its owner only: 403 for a member)"), async (c) => {
    const agent = await managedAgent(c.var.db, c.get("principal"), c.req.param("id"), "delete it");
    await roomOf(c.env, agent.id).destroy(agent.id);
    return c.json({ id: agent.id, deleted: true });
  })
  .post("/:id/rotate-webhook-secret", doc("Replace the webhook signing secret (its owner only: 403 for a member)"), async (c) => {
    const d = c.var.db;
    const agent = await managedAgent(d, c.get("principal"), c.req.param("id"), "rotate its webhook secret");
    const webhookSecret = newWebhookSecret();
    await d.update(agents).set({ webhookSecret }).where(eq(agents.id, agent.id));
    return c.json(ownerAgentDto({ ...agent, webhookSecret }));
  })
  .get("/:id/stats", doc("Message counts: sent, answered, expired, pending, webhook failures"), async (c) => {
    const d = c.var.db;
    const { agent } = await visibleAgent(d, c.get("principal"), c.req.param("id"));
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
    const { agent } = await visibleAgent(d, c.get("principal"), c.req.param("id"));
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
    const { agent } = await visibleAgent(d, c.get("principal"), c.req.param("id"));
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
  })
  .get("/:id/members", doc("The agent's owner (first) and members; its owner and members may read them"), async (c) => {
    const d = c.var.db;
    const { agent } = await membershipAccess(d, c.get("principal"), c.req.param("id"));
    return c.json({ data: await membersOf(d, agent) } satisfies ListDto<MemberDto>);
  })
  .post(
    "/:id/members",
    doc("Add a member (a user id or email): they see the agent, write in its chat and answer its reviews. Its owner only", {
      responses: { 200: "Already a member: the member", 201: "The new member", 400: "No such user, or the agent's owner", 403: "A member" },
    }),
    jsonBody(memberBody),
    async (c) => addMemberRoute(c, c.req.valid("json").userId),
  )
  .delete("/:id/members/:userId", doc("Remove a member (by user id or email): their sockets stop getting its events. Its owner only"), async (c) =>
    removeMemberRoute(c, c.req.param("userId")),
  )
  .delete("/:id/members", doc("Remove a member named in the body (`{userId}`, a user id or email). Its owner only"), jsonBody(memberBody), async (c) =>
    removeMemberRoute(c, c.req.valid("json").userId),
  );

/** Records a membership change in the agent's audit log, through its room (the log's one writer). */
function recordMembership(
  c: Context<AppEnv>,
  agentId: string,
  action: "member_added" | "member_removed",
  person: { id: string; displayName: string; email: string },
) {
  const p = c.get("principal");
  return roomOf(c.env, agentId).recordAudit(agentId, {
    action,
    actor: personActor({ id: p.userId, displayName: p.displayName ?? null }),
    data: { userId: person.id, displayName: person.displayName, email: person.email },
    origin: requestOrigin(c.req.raw.headers),
  });
}

async function addMemberRoute(c: Context<AppEnv>, ref: string) {
  const d = c.var.db;
  const access = await membershipAccess(d, c.get("principal"), c.req.param("id")!);
  assertManages(access, "add members");
  const { agent } = access;
  const person = await personByRef(d, ref);
  if (person.id === agent.userId) {
    throw invalid([{ path: "userId", message: "the agent's owner sees it already", code: "owner" }], "The agent's owner cannot be added as a member");
  }
  const { added, addedAt } = await addMember(d, agent.id, person.id, c.get("principal").userId);
  // Its room reads its members again (room/access.ts), so the new member may answer at once.
  if (added) await Promise.all([recordMembership(c, agent.id, "member_added", person), roomOf(c.env, agent.id).forgetCallers(person.id)]);
  return c.json({ ...person, role: "member", addedAt } satisfies MemberDto, added ? 201 : 200);
}

async function removeMemberRoute(c: Context<AppEnv>, ref: string) {
  const d = c.var.db;
  const access = await membershipAccess(d, c.get("principal"), c.req.param("id")!);
  assertManages(access, "remove members");
  const { agent } = access;
  const { person, removed } = await removeMember(d, agent.id, ref);
  if (person?.id === agent.userId) throw invalid([{ path: "userId", message: "the agent's owner cannot be removed", code: "owner" }]);
  if (!person || !removed) throw notFound("Member");
  // Their open sockets stop getting the agent's events: each is closed and, reconnecting, may no longer follow it.
  await Promise.all([
    revokeEverywhere(c.env, { kind: "membership", userId: person.id, agentId: agent.id }),
    roomOf(c.env, agent.id).forgetCallers(person.id), // its room admitted them as a member (room/access.ts)
  ]);
  await recordMembership(c, agent.id, "member_removed", person);
  return c.json({ agentId: agent.id, userId: person.id, removed: true });
}
