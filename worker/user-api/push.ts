// Web Push subscriptions and the VAPID public key. Sending notifications is its own piece of work.
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { db } from "../db/client";
import { pushSubscriptions, settings } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { base64url } from "../lib/crypto";
import { newId, nowIso } from "../lib/ids";
import { doc, jsonBody } from "../lib/validate";
import { pushSubscribeBody, pushUnsubscribeBody } from "../schemas/account";

/** The VAPID key pair as JWKs: generated on first use and kept in D1, so local dev needs no setup. */
export async function vapidKeys(env: Env): Promise<{ publicKey: JsonWebKey; privateKey: JsonWebKey }> {
  const d = db(env.DB);
  const stored = await d.query.settings.findFirst({ where: eq(settings.key, "vapid_keys") });
  if (stored) return JSON.parse(stored.value);
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const keys = {
    publicKey: (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey,
    privateKey: (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey,
  };
  await d.insert(settings).values({ key: "vapid_keys", value: JSON.stringify(keys) }).onConflictDoNothing();
  const kept = await d.query.settings.findFirst({ where: eq(settings.key, "vapid_keys") });
  return JSON.parse(kept!.value);
}

/** The uncompressed P-256 point, base64url: what `applicationServerKey` expects. */
async function publicKeyOf(jwk: JsonWebKey): Promise<string> {
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
  return base64url(new Uint8Array((await crypto.subtle.exportKey("raw", key)) as ArrayBuffer));
}

export const pushRoutes = new Hono<AppEnv>()
  .get("/vapid-key", doc("The VAPID public key for PushManager.subscribe"), async (c) => {
    return c.json({ publicKey: await publicKeyOf((await vapidKeys(c.env)).publicKey) });
  })
  .post("/subscribe", doc("Store this browser's push subscription", { responses: { 201: "Stored" } }), jsonBody(pushSubscribeBody), async (c) => {
    const body = c.req.valid("json");
    const userId = c.get("principal").userId;
    const row = { id: newId(), userId, endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth, createdAt: nowIso() };
    await db(c.env.DB)
      .insert(pushSubscriptions)
      .values(row)
      .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: { userId, p256dh: row.p256dh, auth: row.auth } });
    return c.json({ endpoint: body.endpoint, subscribed: true }, 201);
  })
  .delete("/subscribe", doc("Forget this browser's push subscription"), jsonBody(pushUnsubscribeBody), async (c) => {
    await db(c.env.DB)
      .delete(pushSubscriptions)
      .where(and(eq(pushSubscriptions.endpoint, c.req.valid("json").endpoint), eq(pushSubscriptions.userId, c.get("principal").userId)));
    return c.json({ subscribed: false });
  });
