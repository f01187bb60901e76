// One delivery to a person's notification channel, and its outcome on the channel's row (Settings shows
// it). The URL passes the rules of `refuseChannelUrl` when it is saved and again right before each send:
// the webhooks' SSRF guard, and https only (plain http just for a loopback receiver in development).
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { notificationChannels } from "../db/schema";
import type { Env } from "../env";
import { nowIso } from "../lib/ids";
import { type Attempt, sendWebhook } from "../webhooks/deliver";
import { isLoopbackHost, refuseWebhookUrl, type WebhookPolicy, webhookPolicy } from "../webhooks/ssrf";
import { channelRequest } from "./formats";
import type { ChannelNotice } from "./notice";

export type NotificationChannelRow = typeof notificationChannels.$inferSelect;

/** Why a channel may not post to `raw`, or null when it may: the SSRF guard, then https outside dev loopback. */
export function refuseChannelUrl(raw: string, policy: WebhookPolicy): string | null {
  const refused = refuseWebhookUrl(raw, policy);
  if (refused) return refused;
  const url = new URL(raw);
  if (url.protocol === "https:") return null;
  if (policy.allowLoopback && isLoopbackHost(url.hostname)) return null;
  return "must be an https URL (plain http only for a loopback receiver in development)";
}

export interface Delivered {
  attempt: Attempt;
  /** The channel's row with this attempt's outcome (undefined if it was deleted meanwhile). */
  channel: NotificationChannelRow | undefined;
}

/** Posts `notice` to the channel in its format and records the outcome on its row. Never throws. */
export async function deliverNotice(env: Env, d: Db, channel: NotificationChannelRow, notice: ChannelNotice, deliveryId: string): Promise<Delivered> {
  const policy = webhookPolicy(env);
  const refused = refuseChannelUrl(channel.url, policy);
  let attempt: Attempt;
  if (refused) {
    attempt = { ok: false, statusCode: null, durationMs: 0, error: `refused: ${refused}`, gone: false };
  } else {
    const request = channelRequest(channel.kind, channel.url, notice);
    const headers = { ...request.headers, ...(channel.kind === "ntfy" && channel.token ? { authorization: `Bearer ${channel.token}` } : {}) };
    const secret = channel.kind === "webhook" ? channel.secret : null;
    attempt = await sendWebhook({ url: request.url, method: "POST", headers }, request.body, deliveryId, secret, policy);
  }
  const at = nowIso();
  const [updated] = await d
    .update(notificationChannels)
    .set({
      lastAttemptAt: at,
      lastStatusCode: attempt.statusCode,
      lastError: attempt.error,
      ...(attempt.ok ? { lastSuccessAt: at, failures: 0 } : { failures: sql`${notificationChannels.failures} + 1` }),
    })
    .where(eq(notificationChannels.id, channel.id))
    .returning();
  return { attempt, channel: updated };
}
