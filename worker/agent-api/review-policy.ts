// A post's review as the agent API takes it: its expiry, and its policy's people resolved against the
// agent's members, with every problem of the request in one 400.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { invalid, zodErrors, type FieldError } from "../lib/errors";
import { postMessageBody, type PostMessageBody } from "../../contract/requests/message";
import { responseSchema, reviewExpiry } from "../../contract/requests/review";
import { resolveChannel } from "../services/agents";
import { membersOf, resolvePeople, type Member } from "../services/members";
import type { StoredReviewPolicy } from "../db/schema";
import type { JsonObject } from "../../contract/json";
import type { NewMessage } from "../room/types";
import { principalOf } from "../auth/api-key";

type ReviewBody = NonNullable<PostMessageBody["review"]>;

/** The people a review names, as the request has them (checked by zod, or not yet: see everyReviewProblem). */
interface NamedPeople {
  assignees?: unknown;
  quorum?: unknown;
  escalate?: unknown;
}

export const policyNeedsMembers = (review: NamedPeople) => Array.isArray(review.assignees) || isObject(review.quorum) || isObject(review.escalate);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `refs` (a list of emails or user ids) resolved against the members; entries that are not strings are zod's to report. */
function peopleOf(members: readonly Member[], refs: unknown, path: string) {
  if (!Array.isArray(refs)) return { people: [], errors: [] };
  const trimmed = refs.map((r) => (typeof r === "string" ? r.trim() : ""));
  const { people, errors } = resolvePeople(members, trimmed, path);
  return { people, errors: errors.filter((e) => trimmed[Number(e.path.split(".").at(-1))] !== "") };
}

/**
 * What only the agent's members can tell of a review's policy: every assignee and every person it
 * escalates to must be a member (owner included), and without assignees the quorum must be reachable by
 * the members. The people resolved, and one error per problem.
 */
function memberProblems(members: readonly Member[], review: NamedPeople) {
  const assignees = peopleOf(members, review.assignees, "review.assignees");
  const escalateTo = peopleOf(members, isObject(review.escalate) ? review.escalate.to : undefined, "review.escalate.to");
  const errors: FieldError[] = [...assignees.errors, ...escalateTo.errors];
  const count = isObject(review.quorum) ? review.quorum.count : undefined;
  if (!Array.isArray(review.assignees) && typeof count === "number" && count > members.length) {
    const n = members.length;
    errors.push({
      path: "review.quorum.count",
      message: `${count} votes can never be reached: this agent has ${n} ${n === 1 ? "person" : "people"} who may answer (its owner and members)`,
    });
  }
  return { assignees: assignees.people, escalateTo: escalateTo.people, errors };
}

/**
 * The review as its room stores it: the expiry, and the policy with its people resolved to `members` (the
 * agent's people: needed only when policyNeedsMembers). Every problem in one 400.
 */
export function reviewOf(body: PostMessageBody, members: readonly Member[]): NewMessage["review"] {
  const review = body.review;
  if (!review) return undefined;
  const errors: FieldError[] = [];
  const expiresAt = reviewExpiry(review);
  if (review.expiresInSeconds == null && review.expiresAt != null && expiresAt.getTime() <= Date.now()) {
    errors.push({ path: "review.expiresAt", message: "must be in the future" });
  }
  const people = memberProblems(members, review);
  errors.push(...people.errors);
  if (errors.length) throw invalid(errors);
  const policy = storedPolicy(review, people.assignees, people.escalateTo);
  return {
    type: review.type,
    payload: review.payload,
    expiresAt: expiresAt.toISOString(),
    ...(review.callback ? { callback: review.callback } : {}),
    ...(policy ? { policy } : {}),
  };
}

/** The policy to store (undefined when the review has none): the request's, with people resolved and the default answer as validated. */
function storedPolicy(
  review: ReviewBody,
  assignees: StoredReviewPolicy["assignees"] & {},
  escalateTo: StoredReviewPolicy["assignees"] & {},
): StoredReviewPolicy | undefined {
  const { quorum, onExpire, remind, escalate, priority } = review;
  if (!review.assignees && !quorum && !onExpire && !remind && !escalate && !priority) return undefined;
  const stored = { type: review.type, payload: review.payload as Record<string, unknown> };
  return {
    assignees: review.assignees ? assignees : null,
    quorum: quorum ? { count: quorum.count, ...(quorum.veto ? { veto: quorum.veto } : {}) } : null,
    onExpire: onExpire ? { response: responseSchema(stored).parse(onExpire.response) as JsonObject } : null,
    remind: remind ? { everySeconds: remind.everySeconds, ...(remind.max !== undefined ? { max: remind.max } : {}) } : null,
    escalate: escalate ? { afterSeconds: escalate.afterSeconds, to: escalateTo } : null,
    priority: priority ?? null,
  };
}

/** Deeper JSON than this is left to jsonBody to refuse. */
const MAX_JSON_DEPTH = 32;

function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * One 400 for every problem of a review's policy: when the body's schema refuses a review that names
 * people (or has a quorum), the answer also lists what only the members can tell (who is not a member,
 * a quorum the members cannot reach), which the route would otherwise check only once the rest is right.
 * Any other body goes on to jsonBody untouched (and is parsed once).
 */
export const everyReviewProblem: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) return next();
  const raw: unknown = await c.req.json().catch(() => undefined);
  if (!isObject(raw) || !isObject(raw.review) || !policyNeedsMembers(raw.review) || deeperThan(raw, MAX_JSON_DEPTH)) return next();
  const parsed = postMessageBody.safeParse(raw);
  if (parsed.success) return next();
  const channelId = typeof raw.channelId === "string" ? raw.channelId : undefined;
  const agent = await resolveChannel(c.var.db, await principalOf(c), channelId).catch(() => undefined);
  const extra = agent ? memberProblems(await membersOf(c.var.db, agent), raw.review).errors : [];
  throw invalid([...zodErrors(parsed.error), ...extra]);
};
