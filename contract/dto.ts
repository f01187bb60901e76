// What the APIs answer with (docs/api.md). Plain types, free of Worker types, so the Worker declares its
// answers with them and the web app and the typed client read the very same shapes.
import type {
  AgentStatus,
  AnswerVia,
  AuditAction,
  DeliveryStatus,
  MessageStatus,
  NotificationChannelKind,
  NotificationChannelState,
  NotifyLevel,
  ReviewPriority,
  ReviewResolution,
  ReviewStatus,
  ReviewType,
  Role,
  SenderType,
  StreamState,
  Theme,
} from "./enums";
import type { JsonObject } from "./json";

// ---- errors -------------------------------------------------------------------------------------

/** One problem with one field of a request: `path` like `review.payload.options.0.id`. */
export interface FieldErrorDto {
  path: string;
  message: string;
  /** zod's issue code (`invalid_type`, `too_big`, …) or a short code of Nod's (`not_found`, `conflict`, …). */
  code: string;
}

/** Every refused request (docs/api.md, "Errors"). */
export interface ErrorDto {
  statusCode: number;
  message: string;
  errors: FieldErrorDto[];
}

// ---- lists ----------------------------------------------------------------------------------------

/** A whole list: `GET /api/agents`, `/api/users`, `/api/keys`, status history. */
export interface ListDto<T> {
  data: T[];
}

/** One page of a longer list (messages, reviews); pass `nextCursor` back as `cursor` for the next. */
export interface PageDto<T> extends ListDto<T> {
  nextCursor: string | null;
}

// ---- messages (docs/api.md) ------------------------------------------------------------------

export interface AttachmentDto {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  /** The file's text, for text files of at most 50 KB (LIMITS.textContentBytes); absent otherwise. */
  textContent?: string;
}

/** A file of a channel as the files API shows it (`POST /api/v1/files/store`, `GET /api/v1/files`). */
export interface StoredFileDto extends AttachmentDto {
  /** null until a message carries it. */
  messageId: string | null;
  channelId: string;
  createdAt: string;
}

/** A file in the Files page (`GET /api/files`): a stored file with its agent's name. */
export interface GalleryFileDto extends StoredFileDto {
  agentName: string;
}

/** `POST /api/files/:id/share`: a link that serves the file to anyone who has it, until it expires or is revoked. */
export interface ShareLinkDto {
  url: string;
  expiresAt: string;
}

/** `POST /api/messages/:id/answer-link`: a link that answers one review as its person, until the review expires. */
export interface AnswerLinkDto {
  url: string;
  expiresAt: string;
}

/** `POST /api/v1/files/upload`: the first file, now attached, and the message that carries them all. */
export interface UploadedFileDto extends StoredFileDto {
  message: MessageDto;
}

export interface ReviewDto {
  type: ReviewType;
  payload: JsonObject;
  status: ReviewStatus;
  response: JsonObject | null;
  expiresAt: string | null;
  completedAt: string | null;
  /** The same as completedAt, under its older name. */
  completed_at: string | null;
  /** What the person wrote alongside the answer (any review type), for the agent's next iteration. */
  feedback: string | null;
  // ---- the review policy (docs/api.md, "Review policy"); null when the agent set none ----
  /** Who may answer; null: every member of the agent. Escalation adds to it. */
  assignees: PersonDto[] | null;
  quorum: { count: number; veto?: string[] } | null;
  onExpire: { response: JsonObject } | null;
  remind: { everySeconds: number; max?: number } | null;
  escalate: { afterSeconds: number; to: PersonDto[] } | null;
  priority: ReviewPriority | null;
  /** Every vote so far, in order (a review without a quorum has none: its one answer is `respondedBy`). */
  votes: VoteDto[];
  /** Who gave the deciding answer; null while pending, for a default and for an expiry. */
  respondedBy: PersonDto | null;
  /** How it was settled; null while pending or once expired without a default. */
  resolution: ReviewResolution | null;
  /** Where the deciding answer came from; null while pending and for a default. */
  via: AnswerVia | null;
  /** Set (true) when no option could reach the quorum any more: the response is the leading option. */
  quorumFailed?: boolean;
}

/** A person as a review names them. */
export interface PersonDto {
  id: string;
  displayName: string;
}

/** One person's vote on a quorum review. */
export interface VoteDto {
  userId: string;
  displayName: string;
  response: JsonObject;
  at: string;
}

export interface MessageDto {
  id: string;
  channelId: string;
  seq: number;
  senderType: SenderType;
  senderId: string;
  text: string | null;
  status: MessageStatus | null;
  review: ReviewDto | null;
  metadata: JsonObject | null;
  deliveryStatus: DeliveryStatus;
  createdAt: string;
  attachments: AttachmentDto[];
  /** Its place in an iteration chain (1 = the first version); null outside a chain. */
  iteration: number | null;
  /** The id of the chain's first message; null outside a chain. */
  iterationGroupId: string | null;
  /** A streamed reply's id (the agent's choice, unique in the channel); null for other messages. */
  streamId: string | null;
  /** `streaming` while the agent is still writing it; `complete` once finished; null for other messages. */
  streamState: StreamState | null;
}

/** `GET /api/v1/messages/iterations/:id`: a whole chain, by iteration. */
export interface IterationChainDto {
  groupId: string;
  iterations: MessageDto[];
}

/** `GET /api/v1/reviews/:id/wait`: the settled message, or a timeout (ask again). Generic for the client's typed answers. */
export type WaitDto<M = MessageDto> = { status: "completed" | "expired"; message: M } | { status: "timeout" };

// ---- agents (= channels) --------------------------------------------------------------------------

/** An agent as the agent API shows it. */
export interface AgentDto {
  id: string;
  name: string;
  description: string | null;
  avatarUrl: string | null;
  webhookUrl: string | null;
  status: AgentStatus;
  statusMessage: string | null;
  statusSince: string | null;
  lastActiveAt: string | null;
  /** Messages older than this many days are removed by the hourly clean-up; null keeps them forever. */
  retentionDays: number | null;
  /** Groups the agent in the sidebar; null: ungrouped. */
  tag: string | null;
  /** Extra headers sent with every delivery to webhookUrl. */
  webhookHeaders: Record<string, string> | null;
  /** HTTP basic auth of those deliveries: the username only, the password is write-only. */
  webhookAuth: { username: string } | null;
  /** The slash commands the agent offers to people, in its order. */
  commands: AgentCommandDto[];
  createdAt: string;
}

/** A slash command an agent offers (`PUT /api/v1/agents/:id/commands`). */
export interface AgentCommandDto {
  /** Without the slash: `deploy`. */
  command: string;
  description: string;
  acceptsArgs: boolean;
  /** What to type after the command, shown in the palette: `<environment>`. */
  argHint: string | null;
}

/** The owner's view (user API) also shows the webhook signing secret. */
export interface OwnerAgentDto extends AgentDto {
  webhookSecret: string;
}

/**
 * An entry of the person's agent list (`GET /api/agents`): their own agents and those they are a member of,
 * with how many agent messages they have not read. A member's entry has no `webhookSecret`, and its
 * `webhookHeaders` and `webhookAuth` are null: only the owner manages the agent's webhook.
 */
export interface AgentListItemDto extends AgentDto {
  /** The owner's entry only. */
  webhookSecret?: string;
  unreadCount: number;
  /** The caller's access: "owner" manages the agent; "member" sees it, writes in its chat and answers its reviews. */
  access: "owner" | "member";
}

/** `GET /api/agents/:id/stats`: message counts of one agent. */
export interface AgentStatsDto {
  agentId: string;
  sent: number;
  received: number;
  reviews: number;
  pending: number;
  answered: number;
  expired: number;
  webhookFailures: number;
}

/** One status report of an agent (`GET /api/agents/:id/status-history`). */
export interface StatusHistoryRowDto {
  status: AgentStatus;
  message: string | null;
  createdAt: string;
}

// ---- people and their keys ------------------------------------------------------------------------

export interface UserDto {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  createdAt: string;
}

/** An API key as listed: never the key itself, only its prefix. */
export interface ApiKeyDto {
  id: string;
  label: string;
  keyPrefix: string;
  /** null: every agent of the user; otherwise only these. */
  agentIds: string[] | null;
  lastUsedAt: string | null;
  createdAt: string;
}

/** A key just created or rotated: the only answer that carries the key. */
export interface IssuedApiKeyDto extends ApiKeyDto {
  key: string;
}

/** A type rather than an interface: it is also what the users.preferences JSON column stores. */
export type PreferencesDto = {
  theme: Theme;
  inlineHtml: boolean;
  push: boolean;
  /** While it holds, nothing is sent (browser or channels) but reviews marked `urgent`; null: never quiet. */
  quietHours: QuietHoursDto | null;
};

/** A daily quiet window, `from` up to `to` ("HH:MM", 24 h) in the person's IANA time zone; it may span midnight. */
export type QuietHoursDto = {
  from: string;
  to: string;
  timeZone: string;
};

// ---- notification channels (docs/api.md, "Notification channels") ---------------------------------------

/** One of a person's channels as listed: never its secrets (an ntfy token is write-only, a webhook's secret shown once). */
export interface NotificationChannelDto {
  id: string;
  kind: NotificationChannelKind;
  name: string;
  /** Where it posts: the ntfy topic URL, the Slack/Discord webhook URL, the signed webhook's receiver. */
  url: string;
  enabled: boolean;
  /** ntfy: whether an access token is stored (sent as `Authorization: Bearer`). */
  hasToken: boolean;
  status: NotificationChannelStatusDto;
  createdAt: string;
}

/** How the channel's deliveries went: the last attempt, the last success, and failures since then. */
export interface NotificationChannelStatusDto {
  state: NotificationChannelState;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Failed attempts since the last success (retries included). */
  failures: number;
}

/** A signed webhook channel just created: the only answer that carries its signing secret (`whsec_…`). */
export interface CreatedNotificationChannelDto extends NotificationChannelDto {
  secret?: string;
}

/** The answer of "Send test": the attempt, and the channel's status after it. */
export interface NotificationTestDto {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  channel: NotificationChannelDto;
}

/** What one agent sends this person (`GET|PUT /api/notifications/agents`); "all" until changed. */
export interface AgentNotifyLevelDto {
  agentId: string;
  level: NotifyLevel;
}

// ---- teams (docs/api.md, "Review policy") --------------------------------------------------------------

/** A person who may see an agent and answer its reviews (`GET /api/agents/:id/members`); the owner is listed first. */
export interface MemberDto extends PersonDto {
  email: string;
  role: "owner" | "member";
  addedAt: string;
}

/** One entry of a channel's audit log. `hash = SHA-256(prevHash ‖ canonical JSON of the entry without hash)`, hex. */
export interface AuditEntryDto {
  channelId: string;
  /** 1, 2, 3… per channel, with no gaps. */
  seq: number;
  at: string;
  action: AuditAction;
  actor: { type: "user" | "agent" | "system"; id: string | null; displayName: string | null };
  messageId: string | null;
  data: JsonObject;
  ip: string | null;
  userAgent: string | null;
  prevHash: string;
  hash: string;
}

/**
 * `GET|POST /api/agents/:id/audit/verify`: whether the chain (the stored log, or an exported file) holds, and
 * where it first breaks. Entries 1 to firstBroken - 1 are intact.
 */
export interface AuditVerifyDto {
  ok: boolean;
  entries: number;
  /** The seq (the place, 1-based) of the first entry whose hash, link or place is wrong; null when the chain holds. */
  firstBroken: number | null;
  reason: string | null;
  /** A file (POST): the 1-based line of that entry (blank lines counted), or null. */
  line?: number | null;
  /**
   * A file (POST): whether its entries are the stored ones (its last hash is the stored hash of that seq, so
   * every entry before it is too). A file that holds on its own but differs was rewritten with recomputed
   * hashes: ok is then false and firstBroken is the first entry that differs from the store.
   */
  matchesStore?: boolean;
}

// ---- Claude Code's hooks (POST /api/v1/hooks/claude-code) -----------------------------------------

/** What a `PermissionRequest` hook answers: Claude Code allows the tool, or denies it telling Claude why. */
export interface ClaudeCodePermissionRequestOutput {
  hookSpecificOutput: {
    hookEventName: "PermissionRequest";
    decision: { behavior: "allow" } | { behavior: "deny"; message: string };
  };
}

/** What a `PreToolUse` hook answers: the person's decision, and (deny) the reason Claude is shown. */
export interface ClaudeCodePreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: "PreToolUse";
    permissionDecision: "allow" | "deny";
    permissionDecisionReason: string;
  };
}

/** Any event but the decision ones answers `{}`: nothing to decide. */
export type ClaudeCodeHookOutput = ClaudeCodePermissionRequestOutput | ClaudeCodePreToolUseOutput | Record<string, never>;
