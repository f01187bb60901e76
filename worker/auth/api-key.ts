// Agents authenticate with an API key, as `x-api-key: hp_…` or `Authorization: Bearer hp_…`.
// Only the key's SHA-256 is stored; the lookup is by hash, so no secret is ever compared by value.
import { eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { db } from "../db/client";
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

/** The principal of an API key, or undefined for an unknown or revoked key. */
export async function principalForKey(env: Env, key: string, ctx?: ExecutionContext): Promise<Principal | undefined> {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  const [row] = await db(env.DB)
    .select({ id: apiKeys.id, userId: apiKeys.userId, agentIds: apiKeys.agentIds, lastUsedAt: apiKeys.lastUsedAt, role: users.role })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, await sha256Hex(key)));
  if (!row) return undefined;
  // "Last used" to the minute is enough, and spares a write on every request.
  if (!row.lastUsedAt || Date.now() - Date.parse(row.lastUsedAt) > 60_000) {
    const touch = db(env.DB).update(apiKeys).set({ lastUsedAt: nowIso() }).where(eq(apiKeys.id, row.id));
    if (ctx) ctx.waitUntil(touch.then(() => undefined));
    else await touch;
  }
  return { userId: row.userId, role: row.role, keyId: row.id, agentIds: row.agentIds ?? null };
}

/** 429 with Retry-After once a key is over its rate (Workers' rate-limiting binding, per key). */
async function assertWithinRateLimit(env: Env, principal: Principal): Promise<void> {
  const { success } = await env.API_RATE_LIMIT.limit({ key: principal.keyId! });
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

export const apiKeyAuth = createMiddleware<AppEnv>(async (c, next) => {
  const carried = inProcess.get(c.env);
  if (carried) {
    c.set("principal", carried);
    return next();
  }
  const key = presentedKey(c.req.raw.headers);
  if (!key) throw new ApiError(401, "Missing API key: send x-api-key or Authorization: Bearer");
  const principal = await principalForKey(c.env, key, c.executionCtx);
  if (!principal) throw new ApiError(401, "Invalid API key");
  await assertWithinRateLimit(c.env, principal);
  c.set("principal", principal);
  await next();
});
