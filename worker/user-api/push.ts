// Web Push subscriptions and the VAPID public key. Sending is worker/push/send.ts.
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { pushSubscriptions } from "../db/schema";
import type { AppEnv } from "../env";
import { newId, nowIso } from "../lib/ids";
import { ApiError } from "../lib/errors";
import { doc, jsonBody } from "../lib/validate";
import { vapid } from "../push/vapid";
import { assertWebhookUrls } from "../webhooks/ssrf";
import { pushSubscribeBody, pushUnsubscribeBody } from "../../contract/requests/account";

export const pushRoutes = new Hono<AppEnv>()
  .get("/vapid-key", doc("The VAPID public key for PushManager.subscribe"), async (c) => {
    return c.json({ publicKey: (await vapid(c.env)).publicKey });
  })
  .post("/subscribe", doc("Store this browser's push subscription", { responses: { 201: "Stored" } }), jsonBody(pushSubscribeBody), async (c) => {
    const body = c.req.valid("json");
    // The server will POST to this URL: the webhooks' SSRF guard applies (a real push service is public).
    assertWebhookUrls(c.env, [["endpoint", body.endpoint]]);
    const userId = c.get("principal").userId;
    const row = { id: newId(), userId, endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth, createdAt: nowIso() };
    // Subscribing again refreshes one's own keys; an endpoint never moves to another account.
    const [stored] = await c.var.db
      .insert(pushSubscriptions)
      .values(row)
      .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: { p256dh: row.p256dh, auth: row.auth }, setWhere: eq(pushSubscriptions.userId, userId) })
      .returning({ id: pushSubscriptions.id });
    if (!stored) throw new ApiError(409, "This push endpoint belongs to another account: unsubscribe it there first");
    return c.json({ endpoint: body.endpoint, subscribed: true }, 201);
  })
  .delete("/subscribe", doc("Forget this browser's push subscription"), jsonBody(pushUnsubscribeBody), async (c) => {
    await c.var.db
      .delete(pushSubscriptions)
      .where(and(eq(pushSubscriptions.endpoint, c.req.valid("json").endpoint), eq(pushSubscriptions.userId, c.get("principal").userId)));
    return c.json({ subscribed: false });
  });
