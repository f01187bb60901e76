// A review's team side, as words: who may answer, how far a quorum got, who is still waited on, and how
// it was settled. Plain functions over ReviewDto (no zod, no components), so the inbox list uses them
// without loading the review widgets.
import type { AuditAction, ReviewPriority } from "../../../contract/enums";
import type { PersonDto } from "../../../contract/dto";
import type { Review } from "../lib/types";

/** The priorities worth a chip: low and normal say nothing a person needs to see. */
export const PRIORITY_LABEL = { low: null, normal: null, high: "High priority", urgent: "Urgent" } as const satisfies Record<ReviewPriority, string | null>;

export const names = (people: readonly Pick<PersonDto, "displayName">[]) => {
  const list = people.map((p) => p.displayName);
  return list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
};

type Option = { id: string; label: string; style?: string };
const optionsOf = (r: Review): Option[] => {
  const p = r.payload as { options?: Option[]; items?: Option[] };
  return (r.type === "approval" ? p.options : r.type === "selection" ? p.items : undefined) ?? [];
};

/** A response as a short label: the option's label for an approval, the items' labels for a selection. */
export function responseLabel(r: Review, response: Record<string, unknown> | null | undefined): string {
  if (!response) return "—";
  const options = optionsOf(r);
  const label = (id: unknown) => options.find((o) => o.id === id)?.label ?? String(id);
  if (r.type === "approval" && "selectedOption" in response) return label(response.selectedOption);
  if (r.type === "selection" && Array.isArray(response.selectedIds)) return response.selectedIds.map(label).join(", ") || "nothing";
  if (response._dismissed === true) return "Dismissed";
  return "answered";
}

/** The option style of an approval response, for its chip. */
export function responseStyle(r: Review, response: Record<string, unknown> | null | undefined): string {
  if (r.type !== "approval" || !response) return "secondary";
  return optionsOf(r).find((o) => o.id === response.selectedOption)?.style ?? "secondary";
}

/** Two votes count together when they chose the same: the option, or the same set of items. */
const voteKey = (response: Record<string, unknown>) =>
  "selectedOption" in response
    ? String(response.selectedOption)
    : Array.isArray(response.selectedIds)
      ? JSON.stringify([...response.selectedIds].map(String).sort())
      : JSON.stringify(response);

export interface QuorumProgress {
  /** Votes for the leading choice. */
  votes: number;
  count: number;
  /** The leading choice's response (null without votes). */
  leading: Record<string, unknown> | null;
  /** "1 of 2 approvals", "1 of 2 votes for Reject", "0 of 2 votes". */
  text: string;
}

export function quorumProgress(r: Review): QuorumProgress | null {
  if (!r.quorum) return null;
  const tally = new Map<string, { n: number; response: Record<string, unknown> }>();
  for (const v of r.votes ?? []) {
    const key = voteKey(v.response);
    const t = tally.get(key) ?? { n: 0, response: v.response };
    t.n++;
    tally.set(key, t);
  }
  let best: { n: number; response: Record<string, unknown> } | undefined;
  for (const t of tally.values()) if (!best || t.n > best.n) best = t;
  const count = r.quorum.count;
  if (!best) return { votes: 0, count, leading: null, text: `0 of ${count} votes` };
  const label = responseLabel(r, best.response);
  const approvals = r.type === "approval" && (best.response.selectedOption === "approve" || /^approve$/i.test(label));
  return { votes: best.n, count, leading: best.response, text: `${best.n} of ${count} ${approvals ? "approvals" : `votes for ${label}`}` };
}

export const hasVoted = (r: Review, userId: string | undefined) => !!userId && (r.votes ?? []).some((v) => v.userId === userId);

/** Whether `userId` may answer: every member when there are no assignees, else the named ones. */
export const isAssignee = (r: Review, userId: string | undefined) => !r.assignees || (!!userId && r.assignees.some((p) => p.id === userId));

/** Whether the answer controls are for me: pending, I may answer, and I have not voted yet. */
export const canAnswer = (r: Review, userId: string | undefined) => r.status === "pending" && isAssignee(r, userId) && !hasVoted(r, userId);

/** Who the review still waits on: "Alice and Bob", "any member", "any other member". */
export function waitingOn(r: Review, meId?: string): string {
  const voted = new Set((r.votes ?? []).map((v) => v.userId));
  if (!r.assignees) return voted.size ? "any other member" : "any member";
  const left = r.assignees.filter((p) => !voted.has(p.id)).map((p) => (p.id === meId ? { displayName: "you" } : p));
  return left.length ? names(left) : "the other members";
}

/** Whether the review has a team side worth showing (someone named, a quorum, votes, an escalation). */
export const isTeamReview = (r: Review) => !!(r.assignees || r.quorum || r.escalate || (r.votes?.length ?? 0) > 0);

const PAST: Record<string, string> = {
  approve: "Approved",
  reject: "Rejected",
  accept: "Accepted",
  decline: "Declined",
  deny: "Denied",
  dismiss: "Dismissed",
};

/** How a settled review was decided: "Approved by Alice", "Decided by quorum (2 of 2)", "Default answer on expiry". */
export function settledText(r: Review, meId?: string): string | null {
  if (r.status !== "completed") return null;
  if (r.quorumFailed) return `Quorum failed: no answer could reach ${r.quorum?.count ?? "enough"} votes; the leading one was taken`;
  if (r.resolution === "default") return "Default answer on expiry";
  if (r.resolution === "quorum") {
    const p = quorumProgress(r);
    const vetoed = r.type === "approval" && r.quorum?.veto?.includes(String(r.response?.selectedOption)) && (p?.votes ?? 0) < (r.quorum?.count ?? 0);
    if (vetoed && r.respondedBy) return `Vetoed by ${r.respondedBy.id === meId ? "you" : r.respondedBy.displayName}`;
    const votesForIt = r.response ? (r.votes ?? []).filter((v) => voteKey(v.response) === voteKey(r.response!)).length : (p?.votes ?? 0);
    return `Decided by quorum (${votesForIt} of ${r.quorum?.count ?? votesForIt})`;
  }
  if (r.respondedBy) {
    const dismissed = r.response?._dismissed === true;
    // My own answer needs no verb of its own (the answer shows below): "Answered by you".
    if (r.respondedBy.id === meId) return `${dismissed ? "Dismissed" : "Answered"} by you`;
    const word = r.type === "approval" ? PAST[String(r.response?.selectedOption ?? "").toLowerCase()] : undefined;
    const label = responseLabel(r, r.response).toLowerCase();
    return `${word ?? PAST[label] ?? (dismissed ? "Dismissed" : "Answered")} by ${r.respondedBy.displayName}`;
  }
  return null;
}

/** What each audit action is called in a review's trail. */
export const AUDIT_LABEL = {
  posted: "Asked",
  assigned: "Assigned",
  voted: "Voted",
  answered: "Answered",
  defaulted: "Default answer taken",
  expired: "Expired",
  reminded: "Reminder sent",
  escalated: "Escalated",
  retracted: "Retracted",
  webhook_delivered: "Webhook delivered",
  webhook_failed: "Webhook failed",
  member_added: "Member added",
  member_removed: "Member removed",
} as const satisfies Record<AuditAction, string>;
