// Socket.IO tickets: what a signed-in browser presents in the CONNECT `{token}` (it cannot send its
// HttpOnly cookie there). A ticket is a random token, valid 60 s and good for one CONNECT. D1 keeps
// only its SHA-256, bound to the session that asked for it: the ticket dies with that session
// (ON DELETE CASCADE), so a ticket issued before a logout never connects.
import type { Role } from "../../contract/enums";
import type { Env } from "../env";
import { randomToken, sha256Hex } from "../lib/crypto";

const TICKET_TTL_MS = 60_000;
/** A recognisable prefix, as API keys have `hp_`: a ticket seen in a log is known for what it is. */
const TICKET_PREFIX = "wst.";

/** What a spent ticket vouches for: the person, and the session the socket will be bound to. */
interface TicketHolder {
  userId: string;
  role: Role;
  sessionHash: string;
  /** When the session expires (ms): the socket must not outlive it. */
  sessionExpiresAt: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A new ticket for a live session; undefined when the session ended meanwhile. (Tickets nobody used
 * are removed by the hourly clean-up, maintenance/expired-sign-ins.ts.)
 */
export async function issueTicket(env: Env, sessionHash: string): Promise<string | undefined> {
  const ticket = `${TICKET_PREFIX}${randomToken(32)}`;
  const now = Date.now();
  // Only for a session that is still live; the user id is the session's own.
  const issued = await env.DB.prepare(
    "INSERT INTO ws_tickets (token_hash, session_hash, user_id, expires_at) SELECT ?, token_hash, user_id, ? FROM sessions WHERE token_hash = ? AND expires_at > ?",
  )
    .bind(await sha256Hex(ticket), iso(now + TICKET_TTL_MS), sessionHash, iso(now))
    .run();
  return issued.meta.changes === 1 ? ticket : undefined;
}

/**
 * Spends a ticket: one statement deletes it if it is unexpired and its session is live, so two
 * CONNECTs with the same ticket cannot both succeed.
 */
export async function consumeTicket(env: Env, ticket: string): Promise<TicketHolder | undefined> {
  if (!ticket.startsWith(TICKET_PREFIX)) return undefined;
  const now = iso(Date.now());
  const row = await env.DB.prepare(
    `DELETE FROM ws_tickets
      WHERE token_hash = ?1 AND expires_at > ?2
        AND EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = ws_tickets.session_hash AND s.expires_at > ?2)
      RETURNING user_id AS userId, session_hash AS sessionHash,
        (SELECT role FROM users u WHERE u.id = ws_tickets.user_id) AS role,
        (SELECT expires_at FROM sessions s WHERE s.token_hash = ws_tickets.session_hash) AS sessionExpiresAt`,
  )
    .bind(await sha256Hex(ticket), now)
    .first<{ userId: string; sessionHash: string; role: Role | null; sessionExpiresAt: string | null }>();
  if (!row?.role || !row.sessionExpiresAt) return undefined;
  return { userId: row.userId, role: row.role, sessionHash: row.sessionHash, sessionExpiresAt: Date.parse(row.sessionExpiresAt) };
}
