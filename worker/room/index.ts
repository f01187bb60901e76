import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/log";
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
 * A key of `userId` was revoked or rotated, or the user deleted: every room that may have admitted the key
 * (room/access.ts), the rooms of `channelIds`, reads the user's keys from D1 again before this resolves. A
 * room that cannot be reached is tried once more, then logged: it trusts what it knew for 5 minutes at most.
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
