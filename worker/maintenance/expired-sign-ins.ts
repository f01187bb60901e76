// Expired sign-in state: sessions past their expiry, Socket.IO tickets past theirs, and login-failure
// counters whose window has ended (worker/auth/login-limit.ts starts a new window on the next failure,
// so an ended row only takes space).
import { inArray, lt, lte } from "drizzle-orm";
import { rateLimits, sessions, wsTickets } from "../db/schema";
import { BATCH, drain, isoAt, type MaintenanceRun, type Removed } from "./run";

/** The login-failure window of worker/auth/login-limit.ts: 15 minutes from `window_start`. */
const LOGIN_WINDOW_MS = 15 * 60_000;

export async function purgeExpiredSignIns(run: MaintenanceRun): Promise<Removed> {
  const { db } = run;
  const now = isoAt(run.now);
  const wsTicketsRemoved = await drain(run, async () => {
    const expired = db.select({ tokenHash: wsTickets.tokenHash }).from(wsTickets).where(lt(wsTickets.expiresAt, now)).limit(BATCH);
    return (await db.delete(wsTickets).where(inArray(wsTickets.tokenHash, expired)).returning({ tokenHash: wsTickets.tokenHash })).length;
  });
  // A session's tickets go with it (cascade).
  const sessionsRemoved = await drain(run, async () => {
    const expired = db.select({ tokenHash: sessions.tokenHash }).from(sessions).where(lt(sessions.expiresAt, now)).limit(BATCH);
    return (await db.delete(sessions).where(inArray(sessions.tokenHash, expired)).returning({ tokenHash: sessions.tokenHash })).length;
  });
  const loginCounters = await drain(run, async () => {
    const ended = db.select({ key: rateLimits.key }).from(rateLimits).where(lte(rateLimits.windowStart, run.now - LOGIN_WINDOW_MS)).limit(BATCH);
    return (await db.delete(rateLimits).where(inArray(rateLimits.key, ended)).returning({ key: rateLimits.key })).length;
  });
  return { sessions: sessionsRemoved, wsTickets: wsTicketsRemoved, loginCounters };
}
