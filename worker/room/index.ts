import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import type { ChannelRoom } from "./ChannelRoom";
import type { RoomResult } from "./types";

/** The room's RPC surface. Its answers are plain data that RPC copies as they are (workers-types' own
 * recursive mapping of them is too deep for tsc, hence the cast in roomOf). */
type RoomApi = Pick<
  ChannelRoom,
  | "post"
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
export function unwrap<T>(result: RoomResult<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.status, result.message, result.errors ?? []);
}
