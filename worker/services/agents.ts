// Agents (= channels) as the APIs show them, and the ownership checks every channel request makes.
import { and, eq, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { AgentDto, AgentListItemDto, OwnerAgentDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { inList } from "../db/lists";
import { agentMembers, agents } from "../db/schema";
import type { Env, Principal } from "../env";
import { assertWebhookUrls } from "../webhooks/ssrf";
import { ApiError, invalid, notFound } from "../lib/errors";
import { newId, nowIso } from "../lib/ids";
import { base64 } from "../lib/crypto";

export type AgentRow = typeof agents.$inferSelect;

export function agentDto(a: AgentRow): AgentDto {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    avatarUrl: a.avatarUrl,
    webhookUrl: a.webhookUrl,
    status: a.status,
    statusMessage: a.statusMessage,
    statusSince: a.statusSince,
    lastActiveAt: a.lastActiveAt,
    retentionDays: a.retentionDays,
    tag: a.tag,
    webhookHeaders: a.webhookHeaders,
    webhookAuth: a.webhookAuth ? { username: a.webhookAuth.username } : null,
    commands: a.commands ?? [],
    createdAt: a.createdAt,
  };
}

/** The owner's view also shows the webhook signing secret. */
export const ownerAgentDto = (a: AgentRow): OwnerAgentDto => ({ ...agentDto(a), webhookSecret: a.webhookSecret });

export const canUseAgent = (p: Principal, agentId: string) => p.agentIds === null || p.agentIds.includes(agentId);

/** What a member sees of an agent: no webhook secret, headers or basic-auth username (they cannot manage its webhook). */
export const memberAgentDto = (a: AgentRow): AgentDto => ({ ...agentDto(a), webhookHeaders: null, webhookAuth: null });

export type AgentAccess = AgentListItemDto["access"];

/** The agent as `access` may see it, with that access: the owner's view has the webhook secret, a member's none of the webhook's credentials. */
export const agentViewDto = (a: AgentRow, access: AgentAccess) => (access === "owner" ? { ...ownerAgentDto(a), access } : { ...memberAgentDto(a), access });

/**
 * `channel` (a column holding agent ids) is an agent `userId` is a member of (not its owner): a
 * subquery on agent_members' index by user (agent_members_user_idx), one parameter.
 */
export const memberChannel = (channel: SQLiteColumn, userId: string): SQL =>
  // Plain column names: drizzle's relational queries would qualify interpolated columns with the outer table's alias.
  sql`${channel} IN (SELECT m.agent_id FROM agent_members AS m WHERE m.user_id = ${userId})`;

/**
 * Agents a person sees: theirs and those they are a member of. An API key (an agent) sees only its
 * owner's agents: membership is for people.
 */
export const visibleAgentsOf = (p: Principal): SQL =>
  p.keyId !== undefined ? eq(agents.userId, p.userId) : or(eq(agents.userId, p.userId), memberChannel(agents.id, p.userId))!;

/** The caller's agent, or 404 whether it is missing, someone else's, or outside the key's scope. */
export async function ownAgent(d: Db, p: Principal, agentId: string): Promise<AgentRow> {
  if (!canUseAgent(p, agentId)) throw notFound("Agent");
  const agent = await d.query.agents.findFirst({ where: and(eq(agents.id, agentId), eq(agents.userId, p.userId)) });
  if (!agent) throw notFound("Agent");
  return agent;
}

/** An agent the caller sees, and whether they own it (else they are a member: a person only). */
export interface VisibleAgent {
  agent: AgentRow;
  owner: boolean;
}

/**
 * The agent if the caller owns it or (a person) is one of its members, in one query; 404 whether it is
 * missing, someone else's or outside the key's scope. Reading, writing in its chat and answering its
 * reviews need this; managing it needs `managedAgent`.
 */
export async function visibleAgent(d: Db, p: Principal, agentId: string): Promise<VisibleAgent> {
  if (p.keyId !== undefined) return { agent: await ownAgent(d, p, agentId), owner: true };
  if (!canUseAgent(p, agentId)) throw notFound("Agent");
  const [row] = await d
    .select({ agent: agents, member: agentMembers.userId })
    .from(agents)
    .leftJoin(agentMembers, and(eq(agentMembers.agentId, agents.id), eq(agentMembers.userId, p.userId)))
    .where(and(eq(agents.id, agentId), or(eq(agents.userId, p.userId), isNotNull(agentMembers.userId))))
    .limit(1);
  if (!row) throw notFound("Agent");
  return { agent: row.agent, owner: row.agent.userId === p.userId };
}

/** 403 for a member who tried what only the agent's owner may do (`what`: "change it", "rotate its webhook secret"…). */
export const ownerOnlyError = (what: string) => new ApiError(403, `Only the agent's owner can ${what}`);

/**
 * The caller's own agent, for what only its owner may do (change or delete it, its webhook, its keys):
 * one query, as `visibleAgent`; a member gets 403 saying so, anyone else 404.
 */
export async function managedAgent(d: Db, p: Principal, agentId: string, what: string): Promise<AgentRow> {
  const { agent, owner } = await visibleAgent(d, p, agentId);
  if (!owner) throw ownerOnlyError(what);
  return agent;
}

/**
 * Which of `agentIds` the caller may use, in one query however many (a foreign or unknown id is simply
 * left out): a person's own agents and those they are a member of; an API key's owner's agents in its scope.
 */
export async function usableAgentIds(d: Db, p: Principal, agentIds: readonly string[]): Promise<Set<string>> {
  const scoped = agentIds.filter((id) => canUseAgent(p, id));
  if (scoped.length === 0) return new Set();
  const rows = await d
    .select({ id: agents.id })
    .from(agents)
    .where(and(inList(agents.id, scoped), visibleAgentsOf(p)));
  return new Set(rows.map((r) => r.id));
}

/** The agents the caller may use (the whole list, narrowed by the key's scope; a person's member agents too). */
export async function usableAgents(d: Db, p: Principal): Promise<AgentRow[]> {
  const all = await d.select().from(agents).where(visibleAgentsOf(p)).orderBy(agents.createdAt);
  return all.filter((a) => canUseAgent(p, a.id));
}

/**
 * The channel of a request. Without an id it is the only agent the caller can use (docs/api.md: channelId
 * may be omitted when the key is scoped to one agent or the user has exactly one). A person may name an
 * agent they are a member of.
 */
export async function resolveChannel(d: Db, p: Principal, channelId: string | undefined): Promise<AgentRow> {
  if (channelId) return (await visibleAgent(d, p, channelId)).agent;
  const usable = await usableAgents(d, p);
  if (usable.length === 1) return usable[0]!;
  throw new ApiError(
    400,
    usable.length === 0 ? "channelId is required: there is no agent yet" : "channelId is required: the key can reach more than one agent",
    [{ path: "channelId", message: "required" }],
  );
}

export const newWebhookSecret = () => `whsec_${base64(crypto.getRandomValues(new Uint8Array(24)))}`;

interface AgentFields {
  name?: string | undefined;
  description?: string | null | undefined;
  avatarUrl?: string | null | undefined;
  webhookUrl?: string | null | undefined;
  retentionDays?: number | null | undefined;
  tag?: string | null | undefined;
}

/** The webhook's extras as a change may give them: auth without a password keeps the stored one. */
interface WebhookExtras {
  webhookHeaders?: Record<string, string> | null | undefined;
  webhookAuth?: { username: string; password?: string | undefined } | null | undefined;
}

export async function createAgent(d: Db, env: Env, userId: string, fields: AgentFields & { name: string }): Promise<AgentRow> {
  assertWebhookUrls(env, [["webhookUrl", fields.webhookUrl]]);
  const row: AgentRow = {
    id: newId(),
    userId,
    name: fields.name,
    description: fields.description ?? null,
    avatarUrl: fields.avatarUrl ?? null,
    webhookUrl: fields.webhookUrl ?? null,
    webhookSecret: newWebhookSecret(),
    status: "offline",
    statusMessage: null,
    statusSince: null,
    lastActiveAt: null,
    retentionDays: fields.retentionDays ?? null,
    tag: fields.tag ?? null,
    webhookHeaders: null,
    webhookAuth: null,
    commands: null,
    createdAt: nowIso(),
  };
  await d.insert(agents).values(row);
  return row;
}

export async function updateAgent(d: Db, env: Env, agent: AgentRow, fields: AgentFields & WebhookExtras): Promise<AgentRow> {
  assertWebhookUrls(env, [["webhookUrl", fields.webhookUrl]]);
  const { webhookAuth: auth, ...rest } = fields;
  const changes = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<AgentRow>;
  if (auth === null) changes.webhookAuth = null;
  else if (auth) {
    const password = auth.password ?? agent.webhookAuth?.password;
    if (password === undefined) throw invalid([{ path: "webhookAuth.password", message: "required: no password is stored yet", code: "invalid_type" }]);
    changes.webhookAuth = { username: auth.username, password };
  }
  await d.update(agents).set(changes).where(eq(agents.id, agent.id));
  return { ...agent, ...changes };
}

/**
 * Changes one of the caller's agents in a single round trip (the ownership check is the UPDATE's own
 * WHERE); 404 when it is missing, someone else's or outside the key's scope.
 */
export async function updateOwnAgent(d: Db, p: Principal, agentId: string, changes: Partial<AgentRow>): Promise<AgentRow> {
  if (!canUseAgent(p, agentId)) throw notFound("Agent");
  const [row] = await d
    .update(agents)
    .set(changes)
    .where(and(eq(agents.id, agentId), eq(agents.userId, p.userId)))
    .returning();
  if (!row) throw notFound("Agent");
  return row;
}
