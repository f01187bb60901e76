// People authenticate with an HttpOnly session cookie, `access_token`. The cookie holds a random token; D1
// keeps its SHA-256, so logout and password changes end sessions at once: in D1 for HTTP, in the rooms that
// admit answers from the sessions they know (room/access.ts), and on every gateway shard for the Socket.IO
// connections opened with the session's tickets. Scripts acting as a person
// (Placet's examples do) read the token from the login's Set-Cookie and send it as `Authorization: Bearer`:
// the same session, the same expiry and revocation.
import { and, eq, gt, ne } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { db, type Db } from "../db/client";
import { sessions, users } from "../db/schema";
import type { AppEnv, Env, Principal } from "../env";
import { revokeEverywhere } from "../gateway/revocation";
import { forgetUser } from "../room";
import { ApiError } from "../lib/errors";
import { randomToken, sha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/ids";

export const SESSION_COOKIE = "access_token";
const SESSION_DAYS = 30;

export async function startSession(c: Context<AppEnv>, userId: string) {
  const token = randomToken(32);
  const expires = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  await c.var.db.insert(sessions).values({ tokenHash: await sha256Hex(token), userId, expiresAt: expires.toISOString(), createdAt: nowIso() });
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    // Secure wherever the app is served over https; plain http only happens in local dev.
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    expires,
  });
}

/** An agent's API key: never a person's session, whatever header brings it. */
const API_KEY_PREFIX = "hp_";

/** This request's session token: `Authorization: Bearer <token>` (a script), else the cookie (the browser). */
function sessionTokenOf(c: Context<AppEnv>): string | undefined {
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? getCookie(c, SESSION_COOKIE);
}

/** The SHA-256 of this request's session token, as D1 keeps it (undefined without one). */
export async function sessionHashOf(c: Context<AppEnv>): Promise<string | undefined> {
  const token = sessionTokenOf(c);
  return token ? sha256Hex(token) : undefined;
}

export async function endSession(c: Context<AppEnv>) {
  const hash = await sessionHashOf(c);
  if (hash) {
    const [ended] = await c.var.db.delete(sessions).where(eq(sessions.tokenHash, hash)).returning({ userId: sessions.userId });
    await Promise.all([revokeEverywhere(c.env, { kind: "session", sessionHash: hash }), ended && forgetUser(c.env, ended.userId)]);
  }
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/** Every session of the user but this request's (after a password change). */
export async function endOtherSessions(c: Context<AppEnv>, userId: string) {
  const current = (await sessionHashOf(c)) ?? "";
  await c.var.db.delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.tokenHash, current)));
  await Promise.all([revokeEverywhere(c.env, { kind: "user-sessions", userId, except: current }), forgetUser(c.env, userId)]);
}

/** Every session of the user (an owner set a new password for them: they sign in again). */
export async function endUserSessions(env: Env, userId: string) {
  await db(env.DB).delete(sessions).where(eq(sessions.userId, userId));
  await Promise.all([revokeEverywhere(env, { kind: "user-sessions", userId }), forgetUser(env, userId)]);
}

export const sessionAuth = createMiddleware<AppEnv>(async (c, next) => {
  const [row] = await sessionQuery(c.var.db, await sessionCredential(c));
  if (!row) throw new ApiError(401, "Not signed in");
  c.set("principal", personOf(row));
  await next();
});

/** The person of a live session, by its token's hash (no row once it ended or expired): one round trip, or part of a batch. */
export const sessionQuery = (d: Db, sessionHash: string) =>
  d
    .select({ userId: users.id, role: users.role, displayName: users.displayName, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, sessionHash), gt(sessions.expiresAt, nowIso())));

export type SessionRow = Awaited<ReturnType<typeof sessionQuery>>[number];

export const personOf = (row: SessionRow): Principal => ({ userId: row.userId, role: row.role, agentIds: null, displayName: row.displayName });

/**
 * The session's hash, for a route whose room checks the session itself (room/access.ts: the answer); 401
 * without a session token, or for an API key.
 */
export async function sessionCredential(c: Context<AppEnv>): Promise<string> {
  const token = sessionTokenOf(c);
  if (!token) throw new ApiError(401, "Not signed in");
  if (token.startsWith(API_KEY_PREFIX)) throw new ApiError(401, "An API key works on /api/v1: the user API takes a person's session");
  return sha256Hex(token);
}

export const ownerOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("principal").role !== "owner") throw new ApiError(403, "Only the owner can manage users");
  await next();
});
