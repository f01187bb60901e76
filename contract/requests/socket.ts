// What a client says on the /ws namespace to follow channels (an agent's relayed live events are in
// message.ts). The gateway validates with these; the web app and the client type their emits from
// contract/events.ts's ClientEvents.
import { z } from "zod";
import { LIMITS } from "../limits";
import { idSchema } from "./message";

/** A channel id, or `{channelId, after}` to also replay its messages after seq `after` (a bad `after` is ignored). */
export const subscribeArg = z.union([idSchema, z.object({ channelId: idSchema, after: z.number().int().min(0).optional().catch(undefined) })]);
export type SubscribeArg = z.infer<typeof subscribeArg>;

/** `subscribe:channels`: many at once, one access check for all of them. */
export const subscribeManyArg = z.array(subscribeArg).min(1).max(LIMITS.channelsPerSubscribe);

/** A subscription as the gateway handles it. */
export const subscriptionOf = (arg: SubscribeArg): { channelId: string; after?: number } =>
  typeof arg === "string" ? { channelId: arg } : arg.after === undefined ? { channelId: arg.channelId } : { channelId: arg.channelId, after: arg.after };
