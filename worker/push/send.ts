// Web Push: every agent message becomes a notification on each subscribed browser of the people who see
// the agent (its owner and members), or of the people named (a review's reminder or escalation).
// Runs after the message is stored, off the request path (the room hands it to waitUntil). A push
// service's 404 or 410 means the subscription is gone: its row is deleted. Any other failure is logged
// and does not stop the other devices. Endpoints pass the webhooks' SSRF guard before every send.
import { buildPushPayload } from "@block65/webcrypto-web-push";
import { and, eq, exists, or } from "drizzle-orm";
import { db } from "../db/client";
import { agentMembers, agents, pushSubscriptions } from "../db/schema";
import { inList } from "../db/lists";
import type { Env } from "../env";
import type { MessageDto } from "../../contract/dto";
import { refuseWebhookUrl, webhookPolicy } from "../webhooks/ssrf";
import { vapid } from "./vapid";
import { logError } from "../lib/log";

/** What the service worker gets (decrypted) and shows. */
interface PushNotice {
  title: string;
  body: string;
  /** The chat to open on click, relative to the app's origin. */
  url: string;
  tag: string;
  channelId: string;
  messageId: string;
  review: boolean;
}

const BODY_CHARS = 240;
const TIMEOUT_MS = 10_000;

function noticeOf(agentName: string, message: MessageDto, prefix: string | undefined): PushNotice {
  const text = message.text?.trim().replace(/\s+/g, " ");
  const fallback = message.review ? "asks for your review" : message.attachments.length ? "sent a file" : "sent a message";
  return {
    title: prefix ? `${prefix}: ${agentName}` : agentName,
    body: text ? (text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS - 1)}…` : text) : fallback,
    url: `/chat/${message.channelId}`,
    tag: message.id,
    channelId: message.channelId,
    messageId: message.id,
    review: message.review !== null,
  };
}

/**
 * Web Push's Urgency (RFC 8030 §5.3) for a message: a review's priority says it (`urgent` and `high` are
 * high, `low` is low); a review without one is high, as every review was before priorities; other messages normal.
 */
function urgencyOf(message: MessageDto): "low" | "normal" | "high" {
  const priority = message.review?.priority;
  if (!message.review) return "normal";
  if (priority === "low" || priority === "normal") return priority;
  return "high";
}

/** Whom to notify: by default everyone who sees the agent; `userIds` narrows it (they must see it too). */
export interface PushTargets {
  userIds?: readonly string[];
  /** Put before the agent's name in the title: "Reminder", "Escalated to you". */
  prefix?: string;
}

/** Sends `message` (an agent's) to the push subscriptions of the people who see its agent. Never throws. */
export async function pushMessage(env: Env, message: MessageDto, targets: PushTargets = {}): Promise<void> {
  try {
    const d = db(env.DB);
    const { userIds } = targets;
    if (userIds?.length === 0) return;
    // The owner's and the members' subscriptions, with the agent's name, in one query.
    const subs = await d
      .select({ sub: pushSubscriptions, agentName: agents.name })
      .from(pushSubscriptions)
      .innerJoin(agents, eq(agents.id, message.channelId))
      .where(
        and(
          or(
            eq(pushSubscriptions.userId, agents.userId),
            exists(
              d
                .select({ one: agentMembers.userId })
                .from(agentMembers)
                .where(and(eq(agentMembers.agentId, agents.id), eq(agentMembers.userId, pushSubscriptions.userId))),
            ),
          ),
          userIds ? inList(pushSubscriptions.userId, userIds) : undefined,
        ),
      );
    if (subs.length === 0) return;
    const notice = noticeOf(subs[0]!.agentName, message, targets.prefix);
    const keys = await vapid(env);
    const policy = webhookPolicy(env);
    await Promise.all(
      subs.map(async ({ sub }) => {
        try {
          const refused = refuseWebhookUrl(sub.endpoint, policy);
          if (refused) return console.warn("push: endpoint refused by the SSRF guard", refused);
          const payload = await buildPushPayload(
            { data: { ...notice }, options: { ttl: 24 * 60 * 60, urgency: urgencyOf(message) } },
            { endpoint: sub.endpoint, expirationTime: null, keys: { p256dh: sub.p256dh, auth: sub.auth } },
            keys,
          );
          const res = await fetch(sub.endpoint, { ...payload, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
          await res.body?.cancel();
          if (res.status === 404 || res.status === 410) {
            await d.delete(pushSubscriptions).where(eq(pushSubscriptions.id, sub.id));
          } else if (!res.ok) {
            console.warn("push: the push service refused", new URL(sub.endpoint).host, res.status);
          }
        } catch (err) {
          logError("push: sending failed", new URL(sub.endpoint).host, err);
        }
      }),
    );
  } catch (err) {
    logError("push: could not send for message", message.id, err);
  }
}
