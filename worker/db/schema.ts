// The one definition of Nod's tables. `npm run db:generate` turns it into migrations/*.sql.
// Times are ISO-8601 UTC strings (they sort as text); JSON columns hold validated zod output.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  AGENT_STATUSES,
  ANSWER_VIAS,
  AUDIT_ACTIONS,
  DELIVERY_STATUSES,
  MESSAGE_STATUSES,
  NOTIFICATION_CHANNEL_KINDS,
  NOTIFY_LEVELS,
  REVIEW_RESOLUTIONS,
  REVIEW_STATUSES,
  REVIEW_TYPES,
  ROLES,
  SENDER_TYPES,
  STREAM_STATES,
} from "../../contract/enums";
import type { AgentCommandDto, PersonDto, ReviewDto, VoteDto } from "../../contract/dto";

/** A review's policy as stored: the request's, with its people resolved to members (ids and names). */
export type StoredReviewPolicy = Pick<ReviewDto, "assignees" | "quorum" | "onExpire" | "remind" | "escalate" | "priority">;

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  displayName: text("display_name").notNull(),
  role: text("role", { enum: ROLES }).notNull(),
  passwordHash: text("password_hash").notNull(),
  preferences: text("preferences", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  createdAt: text("created_at").notNull(),
});

// A session cookie carries a random token; only its SHA-256 is stored.
export const sessions = sqliteTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: text("expires_at").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expiry_idx").on(t.expiresAt)],
);

// A Socket.IO ticket: single-use, bound to the session that asked for it (it dies with that session).
export const wsTickets = sqliteTable("ws_tickets", {
  tokenHash: text("token_hash").primaryKey(),
  sessionHash: text("session_hash")
    .notNull()
    .references(() => sessions.tokenHash, { onDelete: "cascade" }),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  expiresAt: text("expires_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    label: text("label").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    // null: every agent of the user; otherwise only these agent ids.
    agentIds: text("agent_ids", { mode: "json" }).$type<string[] | null>(),
    lastUsedAt: text("last_used_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("api_keys_user_idx").on(t.userId, t.createdAt)],
);

// An agent is a channel: its id is the channelId of every message in it.
export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    avatarUrl: text("avatar_url"),
    webhookUrl: text("webhook_url"),
    webhookSecret: text("webhook_secret").notNull(),
    // Sent with every delivery to webhookUrl (setWebhook): extra headers, and HTTP basic auth whose
    // password is write-only (never in a response, an event or a log).
    webhookHeaders: text("webhook_headers", { mode: "json" }).$type<Record<string, string>>(),
    webhookAuth: text("webhook_auth", { mode: "json" }).$type<{ username: string; password: string }>(),
    // Groups agents in the sidebar (Placet's tag); null: ungrouped.
    tag: text("tag"),
    // The slash commands the agent offers (PUT /api/v1/agents/:id/commands).
    commands: text("commands", { mode: "json" }).$type<AgentCommandDto[]>(),
    status: text("status", { enum: AGENT_STATUSES }).notNull().default("offline"),
    statusMessage: text("status_message"),
    statusSince: text("status_since"),
    lastActiveAt: text("last_active_at"),
    // Messages older than this many days are removed by the daily clean-up; null keeps them forever.
    retentionDays: integer("retention_days"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("agents_user_idx").on(t.userId, t.createdAt)],
);

export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    // Denormalised owner so the cross-agent inbox is one index scan.
    userId: text("user_id").notNull(),
    seq: integer("seq").notNull(),
    senderType: text("sender_type", { enum: SENDER_TYPES }).notNull(),
    senderId: text("sender_id").notNull(),
    text: text("text"),
    status: text("status", { enum: MESSAGE_STATUSES }),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>(),
    webhookUrl: text("webhook_url"),
    deliveryStatus: text("delivery_status", { enum: DELIVERY_STATUSES }).notNull().default("sent"),
    idempotencyKey: text("idempotency_key"),
    // The review, when there is one: its searchable parts are columns of their own.
    reviewType: text("review_type", { enum: REVIEW_TYPES }),
    reviewStatus: text("review_status", { enum: REVIEW_STATUSES }),
    reviewExpiresAt: text("review_expires_at"),
    reviewCompletedAt: text("review_completed_at"),
    reviewPayload: text("review_payload", { mode: "json" }).$type<Record<string, unknown>>(),
    reviewResponse: text("review_response", { mode: "json" }).$type<Record<string, unknown>>(),
    reviewCallback: text("review_callback", { mode: "json" }).$type<{
      url: string;
      method?: string;
      headers?: Record<string, string>;
    }>(),
    // What the person wrote alongside their answer, for the agent's next iteration.
    reviewFeedback: text("review_feedback"),
    // The review policy (who may answer, quorum, default, reminders, escalation, priority); null: none.
    reviewPolicy: text("review_policy", { mode: "json" }).$type<StoredReviewPolicy>(),
    // The votes of a quorum review, in order; and how the review was settled, by whom, from where.
    reviewVotes: text("review_votes", { mode: "json" }).$type<VoteDto[]>(),
    reviewRespondedBy: text("review_responded_by", { mode: "json" }).$type<PersonDto>(),
    reviewResolution: text("review_resolution", { enum: REVIEW_RESOLUTIONS }),
    reviewVia: text("review_via", { enum: ANSWER_VIAS }),
    reviewQuorumFailed: integer("review_quorum_failed", { mode: "boolean" }),
    // An iteration chain (Placet's revision loop): the message this one revises, its place in the chain
    // (1 = the root) and the root's id. All null until the message is part of a chain.
    iterationOf: text("iteration_of"),
    iteration: integer("iteration"),
    iterationGroupId: text("iteration_group_id"),
    // A streamed reply: the agent's id for it, and whether it is still being written.
    streamId: text("stream_id"),
    streamState: text("stream_state", { enum: STREAM_STATES }),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("messages_channel_seq_idx").on(t.channelId, t.seq),
    uniqueIndex("messages_channel_idem_idx").on(t.channelId, t.idempotencyKey),
    // Pending reviews of a channel, and the inbox across a user's channels, newest first.
    index("messages_channel_review_idx").on(t.channelId, t.reviewStatus, t.seq),
    index("messages_user_review_idx").on(t.userId, t.reviewStatus, t.id),
    index("messages_review_expiry_idx").on(t.reviewStatus, t.reviewExpiresAt),
    index("messages_iteration_group_idx").on(t.iterationGroupId, t.iteration).where(sql`${t.iterationGroupId} IS NOT NULL`),
    index("messages_iteration_of_idx").on(t.iterationOf).where(sql`${t.iterationOf} IS NOT NULL`),
    uniqueIndex("messages_channel_stream_idx").on(t.channelId, t.streamId).where(sql`${t.streamId} IS NOT NULL`),
  ],
);

// People besides the owner who may see an agent and answer its reviews (they cannot manage it).
export const agentMembers = sqliteTable(
  "agent_members",
  {
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    addedBy: text("added_by").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.userId] }), index("agent_members_user_idx").on(t.userId, t.agentId)],
);

// A channel's tamper-evident audit log: entry n stores hash = SHA-256(hash of n-1 ‖ canonical JSON of entry n).
// Appended only by the channel's room (one writer, so the chain has no forks); never updated.
export const auditLog = sqliteTable(
  "audit_log",
  {
    channelId: text("channel_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    actorType: text("actor_type", { enum: ["user", "agent", "system"] }).notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name"),
    messageId: text("message_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.seq] }), index("audit_log_message_idx").on(t.messageId).where(sql`${t.messageId} IS NOT NULL`)],
);

export const attachments = sqliteTable(
  "attachments",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    channelId: text("channel_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    messageId: text("message_id").references(() => messages.id, { onDelete: "cascade" }),
    /** Order within the message, as the poster listed the attachmentIds. */
    position: integer("position").notNull().default(0),
    r2Key: text("r2_key").notNull(),
    filename: text("filename").notNull(),
    mimeType: text("mime_type").notNull(),
    size: integer("size").notNull(),
    // The file itself when it is text of at most LIMITS.textContentBytes, so lists show it without R2.
    textContent: text("text_content"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("attachments_message_idx").on(t.messageId, t.position),
    index("attachments_channel_idx").on(t.channelId),
    // Files stored but never attached, oldest first, for the clean-up.
    index("attachments_unattached_idx").on(t.createdAt).where(sql`${t.messageId} IS NULL`),
  ],
);

// A file's share link: the token is in the URL only; its SHA-256 is stored. Revoked = deleted.
export const fileShares = sqliteTable(
  "file_shares",
  {
    tokenHash: text("token_hash").primaryKey(),
    attachmentId: text("attachment_id")
      .notNull()
      .references(() => attachments.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: text("expires_at").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("file_shares_attachment_idx").on(t.attachmentId), index("file_shares_expiry_idx").on(t.expiresAt)],
);

// A review's answer link (GET/POST /r/<token>): one review for one person, without a session. The token is
// in the URL only; its SHA-256 is stored. Spent by the answer (spent_at), dead once the review expires.
export const answerTokens = sqliteTable(
  "answer_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    messageId: text("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    channelId: text("channel_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: text("expires_at").notNull(),
    spentAt: text("spent_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("answer_tokens_message_user_idx").on(t.messageId, t.userId), index("answer_tokens_expiry_idx").on(t.expiresAt)],
);

export const agentStatusHistory = sqliteTable(
  "agent_status_history",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    status: text("status", { enum: AGENT_STATUSES }).notNull(),
    message: text("message"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("agent_status_history_agent_idx").on(t.agentId, t.createdAt), index("agent_status_history_created_idx").on(t.createdAt)],
);

export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull().unique(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("push_subscriptions_user_idx").on(t.userId)],
);

// A person's notification channel besides their browsers: ntfy, a Slack-compatible or Discord webhook, or a
// webhook signed with its own secret. Its status columns are its last delivery attempt's outcome.
export const notificationChannels = sqliteTable(
  "notification_channels",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NOTIFICATION_CHANNEL_KINDS }).notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    /** ntfy's access token: write-only (the API never lists it). */
    token: text("token"),
    /** The signed webhook's Standard Webhooks secret (`whsec_…`), shown once at creation. */
    secret: text("secret"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    lastAttemptAt: text("last_attempt_at"),
    lastSuccessAt: text("last_success_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    failures: integer("failures").notNull().default(0),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("notification_channels_user_idx").on(t.userId)],
);

// What one agent sends one person (NOTIFY_LEVELS); no row: "all".
export const notifyLevels = sqliteTable(
  "notify_levels",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    level: text("level", { enum: NOTIFY_LEVELS }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.agentId] }), index("notify_levels_agent_idx").on(t.agentId)],
);

// How far a person has read each channel: unread = agent messages with a larger seq.
export const channelReads = sqliteTable(
  "channel_reads",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    lastReadSeq: integer("last_read_seq").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.agentId] })],
);

// Server-side secrets generated on first use (ticket signing key, VAPID keys) when no secret is configured.
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

// One row per webhook attempt: what was sent where, and how it went.
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    messageId: text("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    channelId: text("channel_id").notNull(),
    event: text("event").notNull(),
    url: text("url").notNull(),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_deliveries_message_idx").on(t.messageId, t.createdAt), index("webhook_deliveries_created_idx").on(t.createdAt)],
);

// Fixed-window counters (login failures per account and per address); D1 keeps them across restarts.
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});
