// Agents authenticate with an API key, as `x-api-key: hp_…` or `Authorization: Bearer hp_…`.
// Only the key's SHA-256 is stored; the lookup is by hash, so no secret is ever compared by value.
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { db, type Db } from "../db/client";
import { apiKeys, users } from "../db/schema";
import type { AppEnv, Env, Principal } from "../env";
import { ApiError } from "../lib/errors";
import { randomToken, sha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/ids";

const KEY_PREFIX = "hp_";
/** The rate limiter's period (wrangler.toml): waiting this long always frees the key again. */
const RATE_PERIOD_SECONDS = 60;

export function newApiKey() {
  const key = `${KEY_PREFIX}${randomToken(32)}`;
  return { key, keyPrefix: key.slice(0, 10) };
}

function presentedKey(headers: Headers): string | undefined {
  const direct = headers.get("x-api-key")?.trim();
  if (direct) return direct;
  const bearer = headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer;
}

/** The SHA-256 of an API key as D1 keeps it, or undefined for something that is no key of ours. */
export async function keyHashOf(key: string): Promise<string | undefined> {
  return key.startsWith(KEY_PREFIX) ? sha256Hex(key) : undefined;
}

/** "Last used" to the minute is enough, and spares a write on every request. */
export const lastUseIsStale = (lastUsedAt: string | null) => !lastUsedAt || Date.now() - Date.parse(lastUsedAt) > 60_000;

/** Records that the key was used now: not on the request's path when a `waitUntil` is given. */
export function touchKey(d: Db, keyId: string, waitUntil?: (p: Promise<unknown>) => void): Promise<unknown> | undefined {
  // A drizzle query runs when awaited (then): the promise waitUntil gets is that run.
  const touch = d
    .update(apiKeys)
    .set({ lastUsedAt: nowIso() })
    .where(eq(apiKeys.id, keyId))
    .then(() => undefined);
  if (!waitUntil) return touch;
  waitUntil(touch);
  return undefined;
}

/** The query for the principal of a key's hash (no row for an unknown or revoked key): one round trip, or part of a batch. */
export const principalQuery = (d: Db, keyHash: string) =>
  d
    .select({ id: apiKeys.id, userId: apiKeys.userId, agentIds: apiKeys.agentIds, lastUsedAt: apiKeys.lastUsedAt, role: users.role })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, keyHash));

export type KeyRow = Awaited<ReturnType<typeof principalQuery>>[number];

export const principalOfRow = (row: KeyRow): Principal => ({ userId: row.userId, role: row.role, keyId: row.id, agentIds: row.agentIds ?? null });

/** The principal of an API key's hash, or undefined for an unknown or revoked key. */
export async function principalForHash(d: Db, keyHash: string, waitUntil?: (p: Promise<unknown>) => void): Promise<Principal | undefined> {
  const [row] = await principalQuery(d, keyHash);
  if (!row) return undefined;
  if (lastUseIsStale(row.lastUsedAt)) await touchKey(d, row.id, waitUntil);
  return principalOfRow(row);
}

/** The principal of an API key, or undefined for an unknown or revoked key. */
export async function principalForKey(env: Env, key: string): Promise<Principal | undefined> {
  const keyHash = await keyHashOf(key);
  return keyHash ? principalForHash(db(env.DB), keyHash) : undefined;
}

/** 429 with Retry-After once a key is over its rate (Workers' rate-limiting binding, per key: by its hash, known before any lookup). */
async function assertWithinRateLimit(env: Env, keyHash: string): Promise<void> {
  const { success } = await env.API_RATE_LIMIT.limit({ key: keyHash });
  if (!success) throw new ApiError(429, "Too many requests for this API key: slow down", [], { "Retry-After": String(RATE_PERIOD_SECONDS) });
}

/** Principals of in-process calls, by the env object each carries (see envActingAs). */
const inProcess = new WeakMap<Env, Principal>();

/**
 * The env for calls this Worker makes to its own agent API on behalf of a caller apiKeyAuth already let in
 * (MCP's tools): apiKeyAuth takes the principal from it, so the key is looked up and counted against its
 * rate limit once per outside request. Only code in this Worker can make one; no header or body can.
 */
export function envActingAs(env: Env, principal: Principal): Env {
  const acting = { ...env };
  inProcess.set(acting, principal);
  return acting;
}

/**
 * The caller's key, rate limited, but not yet looked up: the routes a channel's room serves (roomRoutes)
 * hand its hash to the room, which knows its keys (room/access.ts); every other route looks it up
 * (apiKeyAuth). A key that is no key of ours is refused here, without a lookup.
 */
export const apiKeyCredential = createMiddleware<AppEnv>(async (c, next) => {
  const carried = inProcess.get(c.env);
  if (carried) {
    c.set("principal", carried);
    c.set("caller", { principal: carried });
    return next();
  }
  const key = presentedKey(c.req.raw.headers);
  if (!key) throw new ApiError(401, "Missing API key: send x-api-key or Authorization: Bearer");
  const keyHash = await keyHashOf(key);
  if (!keyHash) throw invalidKey();
  await assertWithinRateLimit(c.env, keyHash);
  c.set("caller", { keyHash });
  await next();
});

const invalidKey = () => new ApiError(401, "Invalid API key");

/** The caller's principal, looked up in D1 unless apiKeyCredential already has it; 401 for an unknown or revoked key. */
export async function principalOf(c: Context<AppEnv>): Promise<Principal> {
  const caller = c.get("caller");
  if ("principal" in caller) return caller.principal;
  if (!("keyHash" in caller)) throw invalidKey();
  const principal = await principalForHash(db(c.env.DB), caller.keyHash, (p) => c.executionCtx.waitUntil(p)); // /mcp has no c.var.db
  if (!principal) throw invalidKey();
  return principal;
}

/** Every agent route but the room's own: the key's principal, from D1 (after apiKeyCredential). */
export const apiKeyAuth = createMiddleware<AppEnv>(async (c, next) => {
  c.set("principal", await principalOf(c));
  await next();
});
