import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log";
import { eq, or } from "drizzle-orm";
import { db, type Db } from "../db/client";
import { agents } from "../db/schema";
import { memberChannel } from "../services/agents";
import type { ChannelRoom } from "./ChannelRoom";
import type { Refused, RoomResult } from "./types";

/** The room's RPC surface. Its answers are plain data that RPC copies as they are (workers-types' own
 * recursive mapping of them is too deep for tsc, hence the cast in roomOf). */
type RoomApi = Pick<
  ChannelRoom,
  | "post"
  | "postAs"
  | "waitAs"
  | "forgetCallers"
  | "respondAs"
  | "respond"
  | "wait"
  | "ack"
  | "retryWebhook"
  | "retract"
  | "destroy"
  | "reportStatus"
  | "setCommands"
  | "recentEvents"
  | "addGateway"
  | "updateStream"
  | "relay"
  | "purgeBefore"
  | "recordAudit"
>;

/** The room of a channel: one Durable Object per channel id, wherever the request lands. */
export const roomOf = (env: Env, channelId: string) => env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId)) as unknown as RoomApi;

/** The value of a room result, or the ApiError it stands for. */
export function unwrap<T>(result: RoomResult<T> | Refused): T {
  if (result.ok) return result.value;
  throw new ApiError(result.status, result.message, result.errors ?? []);
}

/**
 * A key or a session of `userId` ended, or the user changed or was deleted: every room that may have admitted
 * them (room/access.ts), the rooms of `channelIds`, reads the user from D1 again before this resolves. A room
 * that cannot be reached is tried once more, then logged: it trusts what it knew for 5 minutes at most.
 */
export async function forgetCallers(env: Env, userId: string, channelIds: readonly string[]): Promise<void> {
  const forget = (ids: readonly string[]) => Promise.allSettled(ids.map((id) => roomOf(env, id).forgetCallers(userId)));
  const first = await forget(channelIds);
  const missed = channelIds.filter((_, i) => first[i]!.status === "rejected");
  if (missed.length === 0) return;
  const again = await forget(missed);
  for (const [i, result] of again.entries()) {
    if (result.status === "rejected") logError("a room did not hear of a revoked key", missed[i], result.reason);
  }
}

/** The channels a user owns or is a member of: the rooms that may know their keys and sessions. */
export const channelsOfUserQuery = (d: Db, userId: string) =>
  d
    .select({ id: agents.id })
    .from(agents)
    .where(or(eq(agents.userId, userId), memberChannel(agents.id, userId)));

/** A session of the user ended, or their name or role changed: every room of theirs reads them from D1 again. */
export async function forgetUser(env: Env, userId: string): Promise<void> {
  const channels = await channelsOfUserQuery(db(env.DB), userId);
  await forgetCallers(
    env,
    userId,
    channels.map((c) => c.id),
  );
}
