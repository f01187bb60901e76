/** Size limits on what agents and people may send. Each is enforced by a zod schema, or (bodies) by
 * worker/lib/body-limit.ts before the body is read. */
export const LIMITS = {
  id: 100,
  label: 200,
  description: 2000,
  url: 2048,
  text: 32_000,
  metadataBytes: 16_384,
  payloadBytes: 65_536,
  options: 20,
  items: 200,
  fields: 50,
  attachmentsPerMessage: 20,
  listPage: 100,
  /** Channels in one `subscribe:channels` on the /ws namespace. */
  channelsPerSubscribe: 1000,
  /** An answer to a review, as JSON. */
  responseBytes: 65_536,
  /** Headers of a review's legacy callback: how many, and each name and value. */
  callbackHeaders: 20,
  headerName: 100,
  headerValue: 1000,
  /** A form field's unit ("ms", "€"). */
  unit: 40,
  /** An agent's tag (sidebar group). */
  tag: 40,
  /** Text attachments up to this many bytes carry their content (`textContent`) in every list. */
  textContentBytes: 50_000,
  /** People a review names as assignees or escalates to, and the members of one agent. */
  assignees: 50,
  members: 200,
  /** A review's reminders: at least this far apart, and at most this many. */
  remindMinSeconds: 300,
  reminders: 50,
  /** Audit entries in one page. */
  auditPage: 200,
  /** Feedback a person writes with an answer. */
  feedback: 10_000,
  /** One delta of a streamed reply, and one progress line. */
  deltaChars: 8_000,
  progressChars: 500,
  /** How many slash commands an agent may offer. */
  commands: 50,
  /** A share link lives 1 h unless asked otherwise, at most 7 days. */
  shareDefaultSeconds: 3_600,
  shareMaxSeconds: 7 * 86_400,
  /** A person's notification channels (ntfy, Slack, Discord, signed webhooks). */
  notificationChannels: 20,
  /** Any request body but a file upload. */
  jsonBodyBytes: 1_048_576,
  /** A stored message row, all columns together (D1 refuses rows over 2 MB). */
  messageRowBytes: 1_500_000,
} as const;
