// Who may see an agent and answer its reviews: its owner and its members (agent_members). The access
// checks (services/agents.ts) and a review's policy (who may answer, who is escalated to) read them here.
import { and, eq, or } from "drizzle-orm";
import type { PersonDto } from "../../contract/dto";
import type { Db } from "../db/client";
import { agentMembers, users } from "../db/schema";
import type { FieldError } from "../lib/errors";

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
