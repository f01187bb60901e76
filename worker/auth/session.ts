// People authenticate with an HttpOnly session cookie. The cookie holds a random token; D1 keeps its
// SHA-256, so logout and password changes end sessions at once.
import { and, eq, gt, ne } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { db } from "../db/client";
import { sessions, users } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { randomToken, sha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/ids";

export const SESSION_COOKIE = "nod_session";
const SESSION_DAYS = 30;

export async function startSession(c: Context<AppEnv>, userId: string) {
  const token = randomToken(32);
  const expires = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  await db(c.env.DB)
    .insert(sessions)
    .values({ tokenHash: await sha256Hex(token), userId, expiresAt: expires.toISOString(), createdAt: nowIso() });
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    // Secure wherever the app is served over https; plain http only happens in local dev.
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    expires,
  });
}

export async function endSession(c: Context<AppEnv>) {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await db(c.env.DB).delete(sessions).where(eq(sessions.tokenHash, await sha256Hex(token)));
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/** Every session of the user but this request's (after a password change). */
export async function endOtherSessions(c: Context<AppEnv>, userId: string) {
  const current = await sha256Hex(getCookie(c, SESSION_COOKIE) ?? "");
  await db(c.env.DB).delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.tokenHash, current)));
}

export const sessionAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) throw new ApiError(401, "Not signed in");
  const [row] = await db(c.env.DB)
    .select({ userId: users.id, role: users.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, await sha256Hex(token)), gt(sessions.expiresAt, nowIso())));
  if (!row) throw new ApiError(401, "Not signed in");
  c.set("principal", { userId: row.userId, role: row.role, agentIds: null });
  await next();
});

export const ownerOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("principal").role !== "owner") throw new ApiError(403, "Only the owner can manage users");
  await next();
});
