// Answer links: a URL that shows one pending review to one person, without a session, and lets a POST
// from that page answer it as them (routes.ts). The token lives only in the URL: 32 random bytes
// (256 bits, base64url); D1 keeps its SHA-256, like sessions, API keys and share links, so the table
// alone opens nothing. A token is bound to one review and one person, is spent by that person's answer
// and expires with the review. `mintAnswerLink` is the one way to make one: the user API's
// `POST /api/messages/:id/answer-link`, and Web Push (one link a person a push: push/send.ts).
import { and, eq, gt, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { PersonDto } from "../../contract/dto";
import { MAX_EXPIRY_SECONDS } from "../../contract/requests/review";
import type { Db } from "../db/client";
import { agentMembers, agents, answerTokens, attachments, messages, users } from "../db/schema";
import type { Env } from "../env";
import { randomToken, sha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/ids";
import { names } from "../room/policy";
import { type MessageRow, reviewStatusOf } from "../services/messages";

/** Where a link is served (wrangler.toml's `run_worker_first` sends it to the Worker, not the SPA). */
export const ANSWER_LINK_PATH = "/r/";

/** 32 random bytes, base64url: 43 characters. Anything else cannot be a token and is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface MintAnswerLink {
  messageId: string;
  channelId: string;
  /** The person the link answers as: the owner or a member of the agent, allowed to answer the review. */
  userId: string;
  /** The review's own expiry: the link dies with it. */
  expiresAt: string;
  /** The origin the link is on when `PUBLIC_URL` is not set (a request's origin). */
  origin?: string;
}

export interface AnswerLink {
  url: string;
  /** The token itself: shown once, never stored. */
  token: string;
  expiresAt: string;
}

/** The origin links are made on: `PUBLIC_URL` when set, else the caller's (a request's own origin). */
export function linkOrigin(env: Env, origin?: string): string {
  const base = linkBase(env, origin);
  if (!base) throw new Error("an answer link needs PUBLIC_URL or a request's origin");
  return base;
}

/** `PUBLIC_URL`, else `origin`, without a trailing slash; "" when neither is known (the link is then relative). */
export const linkBase = (env: Env, origin?: string): string => (env.PUBLIC_URL?.trim() || origin || "").replace(/\/+$/, "");

/**
 * A new answer link for one review and one person (a new token each call; a person may hold several,
 * and one answer spends them all). The caller checks that the person may answer (`answerRefusal`).
 */
export async function mintAnswerLink(d: Db, env: Env, link: MintAnswerLink): Promise<AnswerLink> {
  const base = linkOrigin(env, link.origin);
  const [minted] = await mintAnswerLinks(d, env, [{ ...link, origin: base }]);
  return minted!;
}

/**
 * Many answer links at once (a push's recipients), in one D1 round trip. Without `PUBLIC_URL` and an
 * origin a link is relative (`/r/<token>`): the service worker resolves it against its own origin.
 */
export async function mintAnswerLinks(d: Db, env: Env, links: readonly MintAnswerLink[]): Promise<AnswerLink[]> {
  if (links.length === 0) return [];
  const createdAt = nowIso();
  const minted = await Promise.all(
    links.map(async (link) => {
      const base = linkBase(env, link.origin);
      const token = randomToken(32);
      const row = {
        tokenHash: await sha256Hex(token),
        messageId: link.messageId,
        channelId: link.channelId,
        userId: link.userId,
        expiresAt: link.expiresAt,
        createdAt,
      };
      return { row, link: { url: `${base}${ANSWER_LINK_PATH}${token}`, token, expiresAt: link.expiresAt } };
    }),
  );
  // One statement a row (D1 binds at most 100 parameters a statement), all in one batch.
  const [first, ...rest] = minted.map((m) => d.insert(answerTokens).values(m.row));
  await d.batch([first!, ...rest]);
  return minted.map((m) => m.link);
}

/** When a review's link expires: with the review (a review always has an expiry; the cap is the fallback). */
export const linkExpiry = (row: MessageRow): string => row.reviewExpiresAt ?? new Date(Date.now() + MAX_EXPIRY_SECONDS * 1000).toISOString();

export interface Refusal {
  status: 403 | 404 | 409 | 410;
  message: string;
}

/**
 * Why `userId` may not answer this review now (the room's own checks, read ahead: no review 404, answered
 * 409, expired 410, assigned to others 403, already voted 409), or undefined when they may.
 */
export function answerRefusal(row: MessageRow, userId: string): Refusal | undefined {
  if (!row.reviewType) return { status: 404, message: "Review not found" };
  const status = reviewStatusOf(row);
  if (status === "completed") return { status: 409, message: "This review has already been answered" };
  if (status === "expired") return { status: 410, message: "This review has expired" };
  const policy = row.reviewPolicy;
  if (policy?.assignees && !policy.assignees.some((p) => p.id === userId)) {
    return { status: 403, message: `This review is assigned to ${names(policy.assignees)}` };
  }
  if (policy?.quorum && (row.reviewVotes ?? []).some((v) => v.userId === userId)) return { status: 409, message: "You have already voted on this review" };
  return undefined;
}

/** An answer link as its page needs it: the review, the person it answers as, the agent's name. */
export interface OpenLink {
  tokenHash: string;
  spentAt: string | null;
  expiresAt: string;
  row: MessageRow;
  person: PersonDto;
  agentName: string;
  /** How many files the message carries (the page names them, without serving them). */
  files: number;
}

/**
 * The link of a token, in one query: undefined for a malformed, unknown or expired token, a message that
 * is gone (the row cascades), or a person who is no longer the agent's owner or one of its members.
 */
export async function openAnswerLink(d: Db, token: string): Promise<OpenLink | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const tokenHash = await sha256Hex(token);
  const [found] = await d
    .select({
      spentAt: answerTokens.spentAt,
      expiresAt: answerTokens.expiresAt,
      row: messages,
      personId: users.id,
      displayName: users.displayName,
      agentName: agents.name,
      files: sql<number>`(SELECT count(*) FROM ${attachments} WHERE ${attachments.messageId} = ${messages.id})`,
    })
    .from(answerTokens)
    .innerJoin(messages, and(eq(messages.id, answerTokens.messageId), eq(messages.channelId, answerTokens.channelId)))
    .innerJoin(agents, eq(agents.id, messages.channelId))
    .innerJoin(users, eq(users.id, answerTokens.userId))
    .leftJoin(agentMembers, and(eq(agentMembers.agentId, messages.channelId), eq(agentMembers.userId, answerTokens.userId)))
    .where(
      and(
        eq(answerTokens.tokenHash, tokenHash),
        gt(answerTokens.expiresAt, nowIso()),
        or(eq(agents.userId, answerTokens.userId), isNotNull(agentMembers.userId)),
      ),
    )
    .limit(1);
  if (!found) return undefined;
  return {
    tokenHash,
    spentAt: found.spentAt,
    expiresAt: found.expiresAt,
    row: found.row,
    person: { id: found.personId, displayName: found.displayName },
    agentName: found.agentName,
    files: Number(found.files),
  };
}

/** The person's answer is in: every unspent link of theirs to this review is spent. */
export async function spendAnswerLinks(d: Db, messageId: string, userId: string): Promise<void> {
  await d
    .update(answerTokens)
    .set({ spentAt: nowIso() })
    .where(and(eq(answerTokens.messageId, messageId), eq(answerTokens.userId, userId), isNull(answerTokens.spentAt)));
}
