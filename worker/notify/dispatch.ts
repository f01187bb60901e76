// A message's notifications: who is told (the people who see the agent, narrowed to a reminder's or an
// escalation's people), through what (their browsers' push subscriptions and their channels), and what
// each may do from there (an answer link of their own for a pending review they may answer).
//
// Everything it needs is read in one D1 batch, shared by the messages notified together (a room's group
// commit, room/notices.ts): the people with their level for this agent and their quiet hours, their push
// subscriptions, their enabled channels, and (for pending reviews only) the reviews' rows, which say who may answer. The people let through (rules.ts) get one answer link each, minted in one
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
import type { MessageRow } from "../services/messages";
import { pushMessage, seesAgent, subscriptionsQuery } from "../push/send";
import { deliverNotice, type NotificationChannelRow } from "./deliver";
import { actionsOf, type ChannelNotice, headline } from "./notice";
import { heldBack, type Occasion, type Recipient } from "./rules";

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

/** Reads who is told what about `messages` (of one channel), in one round trip (see the file's head). */
function recipientsBatch(d: Db, channelId: string, messageIds: readonly string[], userIds?: readonly string[]) {
  const narrowed = (column: Parameters<typeof inList>[0]) => (userIds ? inList(column, userIds) : undefined);
  const people = d
    .select({ userId: users.id, preferences: users.preferences, level: notifyLevels.level, agentName: agents.name })
    .from(users)
    .innerJoin(agents, eq(agents.id, channelId))
    .leftJoin(notifyLevels, and(eq(notifyLevels.userId, users.id), eq(notifyLevels.agentId, agents.id)))
    .where(and(seesAgent(d, users.id), narrowed(users.id)));
  const subs = subscriptionsQuery(d, channelId, userIds);
  const channels = d
    .select({ channel: notificationChannels })
    .from(notificationChannels)
    .innerJoin(agents, eq(agents.id, channelId))
    .where(and(eq(notificationChannels.enabled, true), seesAgent(d, notificationChannels.userId), narrowed(notificationChannels.userId)));
  if (messageIds.length === 0) return d.batch([people, subs, channels]);
  const pending = d
    .select()
    .from(messages)
    .where(and(inList(messages.id, messageIds), eq(messages.channelId, channelId), eq(messages.reviewStatus, "pending")));
  return d.batch([people, subs, channels, pending]);
}

type Recipients = Awaited<ReturnType<typeof recipientsBatch>>;

/**
 * Notifies the people of `messages` (an agent's, all of one channel) on their browsers and channels, as
 * their settings allow, after one read for them all. Never throws; a channel's failed send goes to `retry`.
 */
export async function notifyMessages(
  env: Env,
  messages: readonly MessageDto[],
  targets: NotifyTargets = {},
  retry: (failed: FailedNotice[]) => Promise<void> = async () => {},
  now = new Date(),
  /** Called once who is told has been read (the sends may take much longer): room/notices.ts reads again then. */
  onRead: () => void = () => {},
): Promise<void> {
  if (targets.userIds?.length === 0 || messages.length === 0) return;
  try {
    const d = db(env.DB);
    // Only a pending review's row is needed (for its answer links): without one, the batch has no fourth read.
    const reviewIds = messages.filter((m) => m.review?.status === "pending").map((m) => m.id);
    const [people, allSubs, allChannels, rows = []] = (await recipientsBatch(d, messages[0]!.channelId, reviewIds, targets.userIds)) as Recipients;
    onRead();
    if (allSubs.length === 0 && allChannels.length === 0) return; // nobody to tell: the usual case
    const recipients = people.map((p) => ({
      userId: p.userId,
      level: p.level ?? "all",
      quietHours: preferencesSchema.safeParse(p.preferences).data?.quietHours ?? null,
    }));
    const agentName = people[0]?.agentName ?? "Agent";
    const context = { d, agentName, occasion: targets.occasion ?? "new", recipients, allSubs, allChannels, now };
    await Promise.all(
      messages.map((m) =>
        notifyOne(
          env,
          m,
          rows.find((r) => r.id === m.id),
          context,
          retry,
        ),
      ),
    );
  } catch (err) {
    logError("notify: could not notify for message", messages.map((m) => m.id).join(","), err);
  }
}

/** What the read told, shared by the messages notified together. */
interface ReadRecipients {
  d: Db;
  agentName: string;
  occasion: Occasion;
  recipients: Recipient[];
  allSubs: Recipients[1];
  allChannels: Recipients[2];
  now: Date;
}

/** One message's notifications, from the shared read; `row` is its pending review's row, if any. Never throws. */
async function notifyOne(env: Env, message: MessageDto, row: MessageRow | undefined, read: ReadRecipients, retry: (failed: FailedNotice[]) => Promise<void>) {
  try {
    const { d, agentName, occasion } = read;
    const told = new Set(read.recipients.filter((p) => !heldBack(p, message, occasion, read.now)).map((p) => p.userId));
    const subs = read.allSubs.filter(({ sub }) => told.has(sub.userId));
    const channels = read.allChannels.map((c) => c.channel).filter((c) => told.has(c.userId));
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
