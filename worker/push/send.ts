// Web Push: a message's notification on each subscribed browser of the people notify/dispatch.ts chose
// (who see the agent, let through by their level and quiet hours). Runs off the request path. A push
// service's 404 or 410 means the subscription is gone: its row is deleted. Any other failure is logged
// and does not stop the other devices. Endpoints pass the webhooks' SSRF guard before every send.
//
// A pending review's notice carries, for each person who may answer it, an answer link of their own
// (`answerUrl`, one token a person a message, shared by their devices and channels) and, for an approval
// or a single-choice selection of at most two choices, `actions` the service worker shows as buttons: a
// button posts its answer to the link (`via: "push-action"`). Once a review settles, `pushSettled` sends
// the same people a `{type: "settled"}` notice with the review's tag, which the service worker uses to
// take the notification away (web/public/sw.js).
import { buildPushPayload } from "@block65/webcrypto-web-push";
import { and, eq, exists, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { db, type Db } from "../db/client";
import { agentMembers, agents, pushSubscriptions } from "../db/schema";
import { inList } from "../db/lists";
import type { Env } from "../env";
import type { MessageDto } from "../../contract/dto";
import { headline, type NoticeAction } from "../notify/notice";
import type { Occasion } from "../notify/rules";
import { refuseWebhookUrl, webhookPolicy } from "../webhooks/ssrf";
import { vapid } from "./vapid";
import { logError } from "../lib/log";

/** What every notice the service worker gets (decrypted) says: `tag` is the message id, shared by its notices. */
type NoticeBase = {
  title: string;
  body: string;
  /** The chat to open on click, relative to the app's origin. */
  url: string;
  tag: string;
  channelId: string;
  messageId: string;
};

/** A message's notification, shown. */
type PushNotice = NoticeBase & {
  review: boolean;
  /** This person's answer link (`/r/<token>`, absolute when PUBLIC_URL is set): only for a review they may answer. */
  answerUrl?: string;
  /** Buttons (at most two, Chrome's Notification.maxActions): each answers with its `response` via the answerUrl. */
  actions?: NoticeAction[];
};

/** What tells a device that a review was settled: the service worker closes the notification with `tag`. */
type SettledNotice = NoticeBase & { type: "settled" };

const TIMEOUT_MS = 10_000;

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

type Subscription = typeof pushSubscriptions.$inferSelect;

/** Whether the person in `userId` sees the agent `agents.id` (its owner or a member): joined with the agent. */
export const seesAgent = (d: Db, userId: SQLiteColumn): SQL =>
  or(
    eq(userId, agents.userId),
    exists(
      d
        .select({ one: agentMembers.userId })
        .from(agentMembers)
        .where(and(eq(agentMembers.agentId, agents.id), eq(agentMembers.userId, userId))),
    ),
  )!;

/** The subscriptions of the people who see the agent (its owner and members), narrowed to `userIds`, with its name. */
export function subscriptionsQuery(d: Db, channelId: string, userIds?: readonly string[]) {
  return d
    .select({ sub: pushSubscriptions, agentName: agents.name })
    .from(pushSubscriptions)
    .innerJoin(agents, eq(agents.id, channelId))
    .where(and(seesAgent(d, pushSubscriptions.userId), userIds ? inList(pushSubscriptions.userId, userIds) : undefined));
}

/** What a message's push says, beyond the message: its agent, why it is sent, and each person's answer link. */
export interface PushContext {
  agentName: string;
  occasion: Occasion;
  /** Answer links by person: only people who may answer the pending review have one. */
  links: ReadonlyMap<string, string>;
  actions: NoticeAction[] | undefined;
}

/** Sends `message` (an agent's) to these subscriptions: the people dispatch.ts let through. Never throws. */
export async function pushMessage(env: Env, d: Db, subs: readonly { sub: Subscription }[], message: MessageDto, context: PushContext): Promise<void> {
  if (subs.length === 0) return;
  try {
    const notice: PushNotice = {
      ...headline(context.agentName, message, context.occasion),
      url: `/chat/${message.channelId}`,
      tag: message.id,
      channelId: message.channelId,
      messageId: message.id,
      review: message.review !== null,
    };
    const { actions } = context;
    await send(env, d, subs, { urgency: urgencyOf(message), ...(message.review ? { topic: message.id } : {}) }, (sub) => {
      const answerUrl = context.links.get(sub.userId);
      return answerUrl ? { ...notice, answerUrl, ...(actions ? { actions: actions.map(({ danger: _, ...a }) => a) } : {}) } : notice;
    });
  } catch (err) {
    logError("push: could not send for message", message.id, err);
  }
}

/** How a settled review is told: who answered it, or how it ended. */
function settledBody(message: MessageDto | undefined): string {
  const review = message?.review;
  if (!review) return "Withdrawn";
  if (review.status === "expired") return "Expired";
  if (review.resolution === "default") return "Settled by its default answer";
  if (review.respondedBy) return `Answered by ${review.respondedBy.displayName}`;
  return "Answered";
}

/**
 * A review was settled (answered anywhere, decided by a vote, defaulted, expired) or retracted (no
 * `message`): tells every device that got its notification, so the service worker takes it away. Never throws.
 */
export async function pushSettled(env: Env, ref: { channelId: string; messageId: string }, message?: MessageDto): Promise<void> {
  try {
    const d = db(env.DB);
    const subs = await subscriptionsQuery(d, ref.channelId);
    if (subs.length === 0) return;
    const notice: SettledNotice = {
      type: "settled",
      title: subs[0]!.agentName,
      body: settledBody(message),
      url: `/chat/${ref.channelId}`,
      tag: ref.messageId,
      channelId: ref.channelId,
      messageId: ref.messageId,
    };
    await send(env, d, subs, { urgency: "normal", topic: ref.messageId }, () => notice);
  } catch (err) {
    logError("push: could not send the settle notice for", ref.messageId, err);
  }
}

/**
 * Web Push's Urgency, and its Topic (RFC 8030 §5.4): a review's notices carry the message id as their topic, so
 * the push service replaces one still queued for an offline device with the next (a reminder, the settle notice)
 * instead of delivering both. Message ids (21 base36 characters) fit a topic's 32 URL-safe characters.
 */
interface PushOptions {
  urgency: "low" | "normal" | "high";
  topic?: string;
}

/** Encrypts and posts each subscription's notice; drops the subscriptions the push service says are gone. */
async function send(
  env: Env,
  d: Db,
  subs: readonly { sub: Subscription }[],
  options: PushOptions,
  noticeFor: (sub: Subscription) => PushNotice | SettledNotice,
): Promise<void> {
  const keys = await vapid(env);
  const policy = webhookPolicy(env);
  await Promise.all(
    subs.map(async ({ sub }) => {
      try {
        const refused = refuseWebhookUrl(sub.endpoint, policy);
        if (refused) return console.warn("push: endpoint refused by the SSRF guard", refused);
        const payload = await buildPushPayload(
          { data: { ...noticeFor(sub) }, options: { ttl: 24 * 60 * 60, ...options } },
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
}
