// VAPID (RFC 8292): the key pair that signs every push request, and the subject push services may contact.
// From the VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY secrets when set; otherwise generated on first use and
// kept in D1's settings table, so local dev needs no setup.
import { eq } from "drizzle-orm";
import type { VapidKeys } from "@block65/webcrypto-web-push";
import { db } from "../db/client";
import { settings } from "../db/schema";
import type { Env } from "../env";
import { base64url } from "../lib/crypto";

const DEFAULT_SUBJECT = "mailto:admin@localhost";

/** The stored key pair as JWKs, generated once. */
async function storedKeys(env: Env): Promise<{ publicKey: JsonWebKey; privateKey: JsonWebKey }> {
  const d = db(env.DB);
  const stored = await d.query.settings.findFirst({ where: eq(settings.key, "vapid_keys") });
  if (stored) return JSON.parse(stored.value);
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const keys = {
    publicKey: (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey,
    privateKey: (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey,
  };
  await d
    .insert(settings)
    .values({ key: "vapid_keys", value: JSON.stringify(keys) })
    .onConflictDoNothing();
  const kept = await d.query.settings.findFirst({ where: eq(settings.key, "vapid_keys") });
  return JSON.parse(kept!.value);
}

/** The uncompressed P-256 point, base64url: what `applicationServerKey` expects. */
async function rawPublicKey(jwk: JsonWebKey): Promise<string> {
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
  return base64url(new Uint8Array((await crypto.subtle.exportKey("raw", key)) as ArrayBuffer));
}

/** Subject and keys as `buildPushPayload` takes them: the raw public point and the private scalar `d`, base64url. */
export async function vapid(env: Env): Promise<VapidKeys> {
  const subject = env.VAPID_SUBJECT || DEFAULT_SUBJECT;
  if (env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY) return { subject, publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY };
  const keys = await storedKeys(env);
  return { subject, publicKey: await rawPublicKey(keys.publicKey), privateKey: keys.privateKey.d! };
}
