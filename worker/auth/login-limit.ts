// Sign-in throttling, per (account, address) and per address, in fixed 15-minute windows kept in D1.
//
// An attempt is reserved atomically *before* the password is hashed: one batch bumps both counters and
// returns them, so 60 concurrent guesses cost at most the limit in password checks. A success gives
// its reservation back. Failures from other addresses never lock an account: whoever holds the right
// password still signs in from their own address, the owner included.
import { and, eq, gt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { rateLimits } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";

export const LOGIN_WINDOW_MS = 15 * 60_000;
const MAX_PER_ACCOUNT_AND_ADDRESS = 10;
const MAX_PER_ADDRESS = 50;

/** The caller's address: Cloudflare always sets cf-connecting-ip in production. */
const addressOf = (c: Context<AppEnv>) => c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? "local";

function countersOf(c: Context<AppEnv>, email: string) {
  const address = addressOf(c);
  return {
    pair: { key: `login:pair:${address}:${email}`, max: MAX_PER_ACCOUNT_AND_ADDRESS },
    address: { key: `login:address:${address}`, max: MAX_PER_ADDRESS },
  };
}

/** Counts one attempt on both counters (a window that ended starts over) and answers 429 past either limit. */
export async function reserveLoginAttempt(c: Context<AppEnv>, email: string): Promise<void> {
  const d = c.var.db;
  const now = Date.now();
  const windowOver = sql`${rateLimits.windowStart} + ${LOGIN_WINDOW_MS} <= ${now}`;
  const bump = (key: string) =>
    d
      .insert(rateLimits)
      .values({ key, windowStart: now, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${windowOver} THEN 1 ELSE ${rateLimits.count} + 1 END`,
          windowStart: sql`CASE WHEN ${windowOver} THEN ${now} ELSE ${rateLimits.windowStart} END`,
        },
      })
      .returning({ count: rateLimits.count, windowStart: rateLimits.windowStart });
  const { pair, address } = countersOf(c, email);
  const [[pairRow], [addressRow]] = await d.batch([bump(pair.key), bump(address.key)]);
  const over = [
    { row: pairRow, max: pair.max },
    { row: addressRow, max: address.max },
  ].filter(({ row, max }) => row && row.count > max);
  if (over.length) {
    const until = Math.max(...over.map(({ row }) => row!.windowStart + LOGIN_WINDOW_MS));
    throw new ApiError(429, "Too many sign-in attempts from here: try again later", [], { "Retry-After": String(Math.ceil((until - now) / 1000)) });
  }
}

/** A successful sign-in gives its attempt back: the pair starts over, the address counts one less. */
export async function releaseLoginAttempt(c: Context<AppEnv>, email: string): Promise<void> {
  const d = c.var.db;
  const { pair, address } = countersOf(c, email);
  await d.batch([
    d.delete(rateLimits).where(eq(rateLimits.key, pair.key)),
    d
      .update(rateLimits)
      .set({ count: sql`${rateLimits.count} - 1` })
      .where(and(eq(rateLimits.key, address.key), gt(rateLimits.count, 0))),
  ]);
}
