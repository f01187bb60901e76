// Who may see an agent and answer its reviews: its owner and its members (agent_members). The access
// checks (services/agents.ts) and a review's policy (who may answer, who is escalated to) read them here.
import { and, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { PersonDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { agentMembers, agents, users } from "../db/schema";
import type { Principal } from "../env";
import { type FieldError, invalid, notFound } from "../lib/errors";
import { nowIso } from "../lib/ids";
import { type AgentRow, ownerOnlyError } from "./agents";

export interface Member extends PersonDto {
  email: string;
  role: "owner" | "member";
  addedAt: string;
}

/** The agent's owner (first) and members, in one query. */
export async function membersOf(d: Db, agent: { id: string; userId: string }): Promise<Member[]> {
  const rows = await d
    .select({ id: users.id, email: users.email, displayName: users.displayName, createdAt: users.createdAt, addedAt: agentMembers.createdAt })
    .from(users)
    .leftJoin(agentMembers, and(eq(agentMembers.userId, users.id), eq(agentMembers.agentId, agent.id)))
    .where(or(eq(users.id, agent.userId), eq(agentMembers.agentId, agent.id)));
  const owner = rows.filter((r) => r.id === agent.userId).map((r) => ({ ...person(r), role: "owner" as const, addedAt: r.createdAt }));
  const members = rows
    .filter((r) => r.id !== agent.userId && r.addedAt !== null)
    .map((r) => ({ ...person(r), role: "member" as const, addedAt: r.addedAt! }))
    .sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  return [...owner, ...members];
}

const person = (r: { id: string; email: string; displayName: string }) => ({ id: r.id, email: r.email, displayName: r.displayName });

/**
 * The people a review names (each an email, any case, or a user id), resolved against the agent's
 * members: the resolved people, and one error per name that is not a member (at `path.i`).
 */
export function resolvePeople(members: readonly Member[], refs: readonly string[], path: string): { people: PersonDto[]; errors: FieldError[] } {
  const people: PersonDto[] = [];
  const errors: FieldError[] = [];
  refs.forEach((ref, i) => {
    const m = members.find((m) => m.id === ref || m.email.toLowerCase() === ref.toLowerCase());
    if (m) people.push({ id: m.id, displayName: m.displayName });
    else errors.push({ path: `${path}.${i}`, message: `"${ref}" is not a member of this agent`, code: "not_member" });
  });
  return { people, errors };
}

/** An agent as its membership routes see it: who the caller is to it. */
export interface MembershipAccess {
  agent: AgentRow;
  /** The agent's owner or an instance owner: may add and remove members. */
  manages: boolean;
}

/**
 * The agent whose members the caller asks about, in one query: its owner and its members may read them,
 * its owner and the instance's owners (role "owner") may change them. Anyone else gets 404, whether it exists or not.
 */
export async function membershipAccess(d: Db, p: Principal, agentId: string): Promise<MembershipAccess> {
  if (p.keyId !== undefined) throw notFound("Agent"); // the user API only: a key is never a person
  const instanceOwner = p.role === "owner";
  const [row] = await d
    .select({ agent: agents, member: agentMembers.userId })
    .from(agents)
    .leftJoin(agentMembers, and(eq(agentMembers.agentId, agents.id), eq(agentMembers.userId, p.userId)))
    .where(and(eq(agents.id, agentId), instanceOwner ? undefined : or(eq(agents.userId, p.userId), isNotNull(agentMembers.userId))))
    .limit(1);
  if (!row) throw notFound("Agent");
  return { agent: row.agent, manages: instanceOwner || row.agent.userId === p.userId };
}

/** 403 unless the caller manages the agent's members. */
export function assertManages(access: MembershipAccess, what: string) {
  if (!access.manages) throw ownerOnlyError(what);
}

/** Whom `ref` (a user id or an email, any case) names, as a condition on `users`. */
const namedBy = (ref: string) => or(eq(users.id, ref), eq(sql`lower(${users.email})`, ref.toLowerCase()))!;

/** A person named by id or email (any case), or a 400 listing `userId` (the body's field). */
export async function personByRef(d: Db, ref: string): Promise<Omit<Member, "role" | "addedAt">> {
  const [user] = await d.select({ id: users.id, email: users.email, displayName: users.displayName }).from(users).where(namedBy(ref)).limit(1);
  if (!user) throw invalid([{ path: "userId", message: `no user "${ref}"`, code: "not_found" }], `No user "${ref}": add someone who has an account here`);
  return user;
}

/** Adds the user as a member; false when they already were one (nothing changes then). */
export async function addMember(d: Db, agentId: string, userId: string, addedBy: string): Promise<{ added: boolean; addedAt: string }> {
  const now = nowIso();
  const inserted = await d
    .insert(agentMembers)
    .values({ agentId, userId, addedBy, createdAt: now })
    .onConflictDoNothing()
    .returning({ createdAt: agentMembers.createdAt });
  if (inserted.length) return { added: true, addedAt: now };
  const [row] = await d
    .select({ createdAt: agentMembers.createdAt })
    .from(agentMembers)
    .where(and(eq(agentMembers.agentId, agentId), eq(agentMembers.userId, userId)));
  return { added: false, addedAt: row?.createdAt ?? now };
}

/**
 * Removes the member `ref` names (user id or email), in one round trip: the person `ref` names (undefined
 * for nobody) and whether they were a member.
 */
export async function removeMember(d: Db, agentId: string, ref: string): Promise<{ person: Omit<Member, "role" | "addedAt"> | undefined; removed: boolean }> {
  const [people, removed] = await d.batch([
    d.select({ id: users.id, email: users.email, displayName: users.displayName }).from(users).where(namedBy(ref)).limit(1),
    d
      .delete(agentMembers)
      .where(and(eq(agentMembers.agentId, agentId), inArray(agentMembers.userId, d.select({ id: users.id }).from(users).where(namedBy(ref)))))
      .returning({ userId: agentMembers.userId }),
  ]);
  return { person: people[0], removed: removed.length > 0 };
}
