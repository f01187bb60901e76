// Login attempts are limited per account and per address: after too many failures in a window the
// login answers 429 with Retry-After, even with the right password, until the window ends.
import { eq, inArray, sql } from "drizzle-orm";
import type { Context } from "hono";
import { db } from "../db/client";
import { rateLimits } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";

const WINDOW_MS = 15 * 60_000;
const MAX_PER_ACCOUNT = 10;
const MAX_PER_ADDRESS = 50;

function keysOf(c: Context<AppEnv>, email: string) {
  const address = c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? "local";
  return [
    { key: `login:account:${email}`, max: MAX_PER_ACCOUNT },
    { key: `login:address:${address}`, max: MAX_PER_ADDRESS },
  ];
}

/** 429 when either counter is full. */
export async function assertLoginAllowed(c: Context<AppEnv>, email: string) {
  const limits = keysOf(c, email);
  const now = Date.now();
  const rows = await db(c.env.DB).select().from(rateLimits).where(inArray(rateLimits.key, limits.map((l) => l.key)));
  for (const { key, max } of limits) {
    const row = rows.find((r) => r.key === key);
    if (row && row.windowStart + WINDOW_MS > now && row.count >= max) {
      const retryAfter = Math.ceil((row.windowStart + WINDOW_MS - now) / 1000);
      throw new ApiError(429, "Too many failed sign-ins: try again later", [], { "Retry-After": String(retryAfter) });
    }
  }
}

export async function recordLoginFailure(c: Context<AppEnv>, email: string) {
  const now = Date.now();
  const d = db(c.env.DB);
  const bump = (key: string) =>
    d
      .insert(rateLimits)
      .values({ key, windowStart: now, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          // A window that has ended starts over.
          count: sql`CASE WHEN ${rateLimits.windowStart} + ${WINDOW_MS} <= ${now} THEN 1 ELSE ${rateLimits.count} + 1 END`,
          windowStart: sql`CASE WHEN ${rateLimits.windowStart} + ${WINDOW_MS} <= ${now} THEN ${now} ELSE ${rateLimits.windowStart} END`,
        },
      });
  const [account, address] = keysOf(c, email);
  await d.batch([bump(account!.key), bump(address!.key)]);
}

/** A successful sign-in clears the account's counter. */
export async function clearLoginFailures(c: Context<AppEnv>, email: string) {
  await db(c.env.DB).delete(rateLimits).where(eq(rateLimits.key, `login:account:${email}`));
}
