import type { Role } from "../contract/enums";
import type { ChannelRoom } from "./room/ChannelRoom";
import type { Gateway } from "./gateway/Gateway";
import type { Db } from "./db/client";

/** The bindings of wrangler.toml, plus the optional secrets (`wrangler secret put`). */
export interface Env {
  DB: D1Database;
  FILES: R2Bucket;
  ASSETS: Fetcher;
  /** Agent API requests per API key (wrangler.toml [[ratelimits]]). */
  API_RATE_LIMIT: RateLimit;
  CHANNEL_ROOM: DurableObjectNamespace<ChannelRoom>;
  GATEWAY: DurableObjectNamespace<Gateway>;
  MAX_UPLOAD_BYTES: string;
  WEBHOOK_ALLOW_HOSTS: string;
  ALLOW_LOOPBACK_WEBHOOKS: string;
  /** How many Gateway Durable Objects share the Socket.IO sessions. */
  GATEWAY_SHARDS: string;
  /** Webhook-delivery and status-history rows older than this many days are purged by the hourly clean-up (default 90). */
  HISTORY_RETENTION_DAYS: string;
  /** The VAPID subject (a mailto: or https: URL push services may contact); default mailto:admin@localhost. */
  VAPID_SUBJECT?: string;
  /** The VAPID key pair, base64url (raw uncompressed P-256 point; private scalar d); generated once and kept in D1 when unset. */
  VAPID_PUBLIC_KEY?: string;
  VAPID_PRIVATE_KEY?: string;
  /** The origin people reach Nod on (https://nod.example.com), for links made without a request (answer links); else a request's origin. */
  PUBLIC_URL?: string;
}

/** Who is calling: a person through the session cookie, or an agent through an API key. */
export interface Principal {
  userId: string;
  role: Role;
  /** Set for API-key callers. */
  keyId?: string;
  /** null: every agent of the user; otherwise the agent ids the key is scoped to. */
  agentIds: string[] | null;
  /** A person's name (session callers): what their answers and audit entries show. */
  displayName?: string;
}

/**
 * A request's credential as a channel's room takes it: an API key's hash or a session's, for the room to check
 * against what it knows (room/access.ts), or a principal this Worker already checked (an in-process call, or a
 * route that looked the credential up).
 */
export type Caller = { keyHash: string } | { sessionHash: string } | { principal: Principal };

/** `caller`: set by apiKeyCredential on the agent API. `db`: the request's D1 handle, set once for every /api route (withDb); Durable Objects and the cron make their own. */
export type AppEnv = { Bindings: Env; Variables: { principal: Principal; caller: Caller; db: Db } };
