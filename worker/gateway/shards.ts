// Sockets are spread over a few Gateway Durable Objects. A new session goes to a random shard; its
// sid starts with the shard number, so later polling and upgrade requests find their way back.
import type { Env } from "../env";
import type { Gateway } from "./Gateway";
import { randomToken } from "../lib/crypto";

const DEFAULT_SHARDS = 4;

const shardCount = (env: Env) => Math.max(1, Number(env.GATEWAY_SHARDS) || DEFAULT_SHARDS);
const shardName = (n: number) => `gw:${n}`;
/** A shard's RPC surface (cast for the same reason as roomOf in room/index.ts). */
type GatewayApi = Pick<Gateway, "deliver" | "deliverAll" | "revoke">;
export const gatewayOf = (env: Env, shard: string) => env.GATEWAY.get(env.GATEWAY.idFromName(shard)) as unknown as GatewayApi;

export const newSid = (shard: string) => `${shard.slice(3)}-${randomToken(15)}`;

/** The shard a request belongs to: named by its sid, or a random one for a new session. */
export function shardFor(env: Env, sid: string | null): string {
  const n = sid ? Number(sid.split("-")[0]) : Math.floor(Math.random() * shardCount(env));
  return shardName(Number.isInteger(n) && n >= 0 && n < shardCount(env) ? n : 0);
}

export const allShards = (env: Env) => Array.from({ length: shardCount(env) }, (_, n) => shardName(n));
