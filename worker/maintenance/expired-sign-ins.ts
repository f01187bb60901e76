// Expired sign-in state: sessions past their expiry, Socket.IO tickets past theirs, and sign-in
// counters whose window has ended (worker/auth/login-limit.ts starts a new window on the next attempt,
// so an ended row only takes space).
import { lt, lte } from "drizzle-orm";
import { LOGIN_WINDOW_MS } from "../auth/login-limit";
import { rateLimits, sessions, wsTickets } from "../db/schema";
import { isoAt, purgeRows, type MaintenanceRun, type Removed } from "./run";

export async function purgeExpiredSignIns(run: MaintenanceRun): Promise<Removed> {
  const now = isoAt(run.now);
  const wsTicketsRemoved = await purgeRows(run, wsTickets, wsTickets.tokenHash, lt(wsTickets.expiresAt, now));
  // A session's tickets go with it (cascade).
  const sessionsRemoved = await purgeRows(run, sessions, sessions.tokenHash, lt(sessions.expiresAt, now));
  const loginCounters = await purgeRows(run, rateLimits, rateLimits.key, lte(rateLimits.windowStart, run.now - LOGIN_WINDOW_MS));
  return { sessions: sessionsRemoved, wsTickets: wsTicketsRemoved, loginCounters };
}
