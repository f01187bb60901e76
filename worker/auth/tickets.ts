// Socket.IO tickets: `<base64url payload>.<base64url HMAC>`, valid 60 s, signed with TICKET_SECRET or
// with a secret generated on first use and kept in D1 (so local dev needs no configuration).
import { eq } from "drizzle-orm";
import { db } from "../db/client";
import { settings } from "../db/schema";
import type { Env } from "../env";
import { base64url, fromBase64url, hmacSha256, randomToken, timingSafeEqual } from "../lib/crypto";

const TICKET_TTL_MS = 60_000;

/** A server secret from the environment, or generated once and stored in the settings table. */
export async function serverSecret(env: Env, name: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const d = db(env.DB);
  await d.insert(settings).values({ key: name, value: randomToken(32) }).onConflictDoNothing();
  const row = await d.query.settings.findFirst({ where: eq(settings.key, name) });
  return row!.value;
}

const ticketSecret = (env: Env) => serverSecret(env, "ticket_secret", env.TICKET_SECRET);

export async function issueTicket(env: Env, userId: string): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify({ uid: userId, exp: Date.now() + TICKET_TTL_MS })));
  const signature = base64url(await hmacSha256(await ticketSecret(env), payload));
  return `${payload}.${signature}`;
}

/** The user id a valid, unexpired ticket names. */
export async function verifyTicket(env: Env, ticket: string): Promise<string | undefined> {
  const [payload, signature] = ticket.split(".");
  if (!payload || !signature) return undefined;
  try {
    const expected = await hmacSha256(await ticketSecret(env), payload);
    if (!timingSafeEqual(expected, fromBase64url(signature))) return undefined;
    const { uid, exp } = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as { uid: string; exp: number };
    return typeof uid === "string" && exp > Date.now() ? uid : undefined;
  } catch {
    return undefined;
  }
}
