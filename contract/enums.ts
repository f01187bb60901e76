// Every closed list of values that crosses the wire or is stored, spelled once. The zod schemas, the
// drizzle columns (`enum:`), the DTOs, the web app and the client all take their values from here.

/** A person's role: owners manage users; there is always at least one. */
export const ROLES = ["owner", "member"] as const;
export type Role = (typeof ROLES)[number];

/** What an agent reports about itself (POST /api/v1/status/ping). */
export const AGENT_STATUSES = ["active", "busy", "error", "offline"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Who wrote a message: the agent, or a person writing to it. */
export const SENDER_TYPES = ["agent", "user"] as const;
export type SenderType = (typeof SENDER_TYPES)[number];

/** The colour of an agent's message. */
export const MESSAGE_STATUSES = ["info", "success", "warning", "error"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** How far a message got towards the agent: `agent_received` (the agent's ack) is final. */
export const DELIVERY_STATUSES = ["sent", "webhook_delivered", "webhook_failed", "agent_received"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The five kinds of review (their payloads and answers: requests/review.ts). */
export const REVIEW_TYPES = ["approval", "selection", "form", "text-input", "freeform"] as const;
export type ReviewType = (typeof REVIEW_TYPES)[number];

/** A streamed reply (Placet's draft-then-update): a draft is `streaming` until completed (or left 10 minutes). */
export const STREAM_STATES = ["streaming", "complete"] as const;
export type StreamState = (typeof STREAM_STATES)[number];

/** The kinds the Files page filters by, from a file's MIME type (and name for code). */
export const FILE_KINDS = ["image", "pdf", "video", "audio", "text", "other"] as const;
export type FileKind = (typeof FILE_KINDS)[number];

export const REVIEW_STATUSES = ["pending", "completed", "expired"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** The input types a form review's field may have. */
export const FORM_FIELD_TYPES = ["text", "number", "email", "url", "textarea", "select", "checkbox", "date", "time", "datetime", "range", "password"] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

/** The HTML `<input type>` of each form field type that is an input (the rest: textarea, select, checkbox). */
export const FORM_FIELD_INPUT_TYPES: Partial<Record<FormFieldType, string>> = {
  text: "text",
  number: "number",
  email: "email",
  url: "url",
  date: "date",
  time: "time",
  datetime: "datetime-local",
  password: "password",
  range: "range",
};

/** The web app's colour scheme preference. */
export const THEMES = ["light", "dark", "system"] as const;
export type Theme = (typeof THEMES)[number];

/** How a settled review was decided: one person's answer, a quorum of votes, or its `onExpire` default. */
export const REVIEW_RESOLUTIONS = ["person", "quorum", "default"] as const;
export type ReviewResolution = (typeof REVIEW_RESOLUTIONS)[number];

/** Where the deciding answer came from: the web app, an answer link, or a notification's action button. */
export const ANSWER_VIAS = ["app", "link", "push-action"] as const;
export type AnswerVia = (typeof ANSWER_VIAS)[number];

/** How urgent a review is (its notifications and the inbox's order say so). */
export const REVIEW_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type ReviewPriority = (typeof REVIEW_PRIORITIES)[number];

/** The inbox's team views: what waits on me, what waits on others (I voted or may not), what I answered. */
export const INBOX_VIEWS = ["assigned-to-me", "waiting-on-others", "answered-by-me"] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

/** What a channel's audit log records (GET /api/agents/:id/audit). */
export const AUDIT_ACTIONS = [
  "posted",
  "assigned",
  "voted",
  "answered",
  "defaulted",
  "expired",
  "reminded",
  "escalated",
  "retracted",
  "webhook_delivered",
  "webhook_failed",
  "member_added",
  "member_removed",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Where a person's notifications go besides their browsers (Settings → Notifications; docs/api.md, "Notification channels"). */
export const NOTIFICATION_CHANNEL_KINDS = ["ntfy", "slack", "discord", "webhook"] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];

/** What one agent sends a person: every message, its reviews only, or only the reviews that name them. */
export const NOTIFY_LEVELS = ["all", "reviews", "assigned"] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

/** A notification channel's health, from its last delivery attempt. */
export const NOTIFICATION_CHANNEL_STATES = ["untested", "ok", "failing"] as const;
export type NotificationChannelState = (typeof NOTIFICATION_CHANNEL_STATES)[number];
