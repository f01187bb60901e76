// A message's notifications: who is told (the people who see the agent, narrowed to a reminder's or an
// escalation's people), through what (their browsers' push subscriptions and their channels), and what
// each may do from there (an answer link of their own for a pending review they may answer).
//
// Everything it needs is read in one D1 batch: the people with their level for this agent and their
// quiet hours, their push subscriptions, their enabled channels, and (for a pending review) its row,
// which says who may answer. The people let through (rules.ts) get one answer link each, minted in one
// more batch and shared by their devices and channels. A channel's failed send is handed to `retry`,
// which the room turns into a timer (room/notices.ts), like an agent webhook's retries.
import { and, eq } from "drizzle-orm";
import type { MessageDto } from "../../contract/dto";
import { preferencesSchema } from "../../contract/requests/account";
import { answerRefusal, linkBase, linkExpiry, mintAnswerLinks } from "../answer-links/tokens";
import { db, type Db } from "../db/client";
import { inList } from "../db/lists";
import { agents, messages, notificationChannels, notifyLevels, users } from "../db/schema";
import type { Env } from "../env";
import { newId, nowIso } from "../lib/ids";
import { logError } from "../lib/log";
import { pushMessage, seesAgent, subscriptionsQuery } from "../push/send";
import { deliverNotice, type NotificationChannelRow } from "./deliver";
import { actionsOf, type ChannelNotice, headline } from "./notice";
import { heldBack, type Occasion } from "./rules";

/** Whom to notify: by default everyone who sees the agent; `userIds` narrows it (they must see it too). */
export interface NotifyTargets {
  userIds?: readonly string[];
  occasion?: Occasion;
}

/** A channel's send that failed: what to try again, and when the next attempt is due. */
export interface FailedNotice {
  notificationChannelId: string;
  deliveryId: string;
  notice: ChannelNotice;
}

/** Reads who is told what, in one round trip (see the file's head). */
function recipientsBatch(d: Db, message: MessageDto, userIds?: readonly string[]) {
  const { channelId } = message;
  const narrowed = (column: Parameters<typeof inList>[0]) => (userIds ? inList(column, userIds) : undefined);
  return d.batch([
    d
      .select({ userId: users.id, preferences: users.preferences, level: notifyLevels.level, agentName: agents.name })
      .from(users)
      .innerJoin(agents, eq(agents.id, channelId))
      .leftJoin(notifyLevels, and(eq(notifyLevels.userId, users.id), eq(notifyLevels.agentId, agents.id)))
      .where(and(seesAgent(d, users.id), narrowed(users.id))),
    subscriptionsQuery(d, channelId, userIds),
    d
      .select({ channel: notificationChannels })
      .from(notificationChannels)
      .innerJoin(agents, eq(agents.id, channelId))
      .where(and(eq(notificationChannels.enabled, true), seesAgent(d, notificationChannels.userId), narrowed(notificationChannels.userId))),
    d
      .select()
      .from(messages)
      .where(and(eq(messages.id, message.id), eq(messages.channelId, channelId), eq(messages.reviewStatus, "pending"))),
  ]);
}

/**
 * Notifies the people of `message` (an agent's) on their browsers and channels, as their settings allow.
 * Never throws; a channel's failed send goes to `retry`.
 */
export async function notifyMessage(
  env: Env,
  message: MessageDto,
  targets: NotifyTargets = {},
  retry: (failed: FailedNotice[]) => Promise<void> = async () => {},
  now = new Date(),
): Promise<void> {
  try {
    const d = db(env.DB);
    const occasion = targets.occasion ?? "new";
    if (targets.userIds?.length === 0) return;
    const [people, allSubs, allChannels, [row]] = await recipientsBatch(d, message, targets.userIds);
    const told = new Set(
      people
        .filter((p) => {
          const quietHours = preferencesSchema.safeParse(p.preferences).data?.quietHours ?? null;
          return !heldBack({ userId: p.userId, level: p.level ?? "all", quietHours }, message, occasion, now);
        })
        .map((p) => p.userId),
    );
    const subs = allSubs.filter(({ sub }) => told.has(sub.userId));
    const channels = allChannels.map((c) => c.channel).filter((c) => told.has(c.userId));
    if (subs.length === 0 && channels.length === 0) return;

    // One answer link a person who may answer, shared by their devices and channels.
    const links = new Map<string, string>();
    if (row && message.review?.status === "pending") {
      const reached = [...new Set([...subs.map(({ sub }) => sub.userId), ...channels.map((c) => c.userId)])];
      const answering = reached.filter((userId) => !answerRefusal(row, userId));
      const expiresAt = linkExpiry(row);
      const minted = await mintAnswerLinks(
        d,
        env,
        answering.map((userId) => ({ messageId: row.id, channelId: row.channelId, userId, expiresAt })),
      );
      for (const [i, userId] of answering.entries()) links.set(userId, minted[i]!.url);
    }
    const agentName = people[0]?.agentName ?? "Agent";
    const actions = actionsOf(message);
    await Promise.all([
      pushMessage(env, d, subs, message, { agentName, occasion, links, actions }),
      sendToChannels(env, d, channels, (userId) => channelNotice(env, message, agentName, occasion, links.get(userId), actions), retry),
    ]);
  } catch (err) {
    logError("notify: could not notify for message", message.id, err);
  }
}

/** A message's notice for one person's channels. A relative answer link (no PUBLIC_URL) is left out: a channel cannot open it. */
function channelNotice(
  env: Env,
  message: MessageDto,
  agentName: string,
  occasion: Occasion,
  answerUrl: string | undefined,
  actions: ChannelNotice["actions"] | undefined,
): ChannelNotice {
  const base = linkBase(env);
  const absolute = answerUrl && /^https?:\/\//.test(answerUrl) ? answerUrl : null;
  return {
    event: message.review ? "review:requested" : "message:created",
    ...headline(agentName, message, occasion),
    agent: { id: message.channelId, name: agentName },
    occasion,
    priority: message.review?.priority ?? null,
    chatUrl: base ? `${base}/chat/${message.channelId}` : null,
    answerUrl: absolute,
    actions: absolute ? (actions ?? []) : [],
    message,
    at: nowIso(),
  };
}

async function sendToChannels(
  env: Env,
  d: Db,
  channels: NotificationChannelRow[],
  noticeFor: (userId: string) => ChannelNotice,
  retry: (failed: FailedNotice[]) => Promise<void>,
): Promise<void> {
  if (channels.length === 0) return;
  const failed: FailedNotice[] = [];
  await Promise.all(
    channels.map(async (channel) => {
      const notice = noticeFor(channel.userId);
      const deliveryId = `ntf_${newId()}`;
      const { attempt } = await deliverNotice(env, d, channel, notice, deliveryId);
      if (!attempt.ok && !attempt.gone) failed.push({ notificationChannelId: channel.id, deliveryId, notice });
      if (!attempt.ok) console.warn("notify: channel delivery failed", channel.kind, channel.id, attempt.error);
    }),
  );
  if (failed.length) await retry(failed);
}
