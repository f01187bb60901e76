// The arguments of the MCP tools (worker/mcp/tools.ts and placet-tools.ts), one schema per tool, described for
// a model reading the tool list and built from the API's own request schemas, so a tool accepts what the API
// accepts. A connection may name a default channel: the Worker then describes channelId (and the pending
// reviews' channelId) per connection, replacing the description here, which is the one without a default.
import { z } from "zod";
import { REVIEW_TYPES } from "../enums";
import { createAgentBody, statusPingBody } from "./agent";
import { idSchema, listMessagesQuery, messageText, postMessageBody } from "./message";
import { reviewRequest } from "./review";

/** The longest single wait: MCP clients give up on tool calls that take much longer. */
export const MAX_WAIT_SECONDS = 25;

/** The longest inline wait. Under the 300 s that Node's fetch (undici) waits for an answer's headers: /mcp answers
 *  JSON, whose headers come only with the answer, so a longer wait would fail in Node clients (the SDK's included). */
export const MAX_INLINE_WAIT_SECONDS = 280;

const message = postMessageBody.shape;
const [approvalReview, selectionReview, formReview, textReview, freeformReview] = reviewRequest.options;
const reviewOptions = approvalReview.shape;

/** The channelId argument, as a connection without a default channel describes it. */
export const channelIdInput = message.channelId.describe(
  "The channel (= agent) id, from list_channels. May be left out when the key is scoped to one agent or the user has exactly one, or when the MCP connection names a channel (x-nod-channel header, ?channel= on the URL).",
);

/** The message arguments several tools share. */
const common = {
  status: message.status.describe("Colour of the message: info, success, warning or error"),
  metadata: message.metadata.describe("Any JSON object kept with the message"),
  attachmentIds: message.attachmentIds.describe("Ids of files stored with upload_file, shown with the message"),
  textAttachments: message.textAttachments.describe(
    "Text shown as files of the message, after attachmentIds: [{content, filename (default content.md), mimeType (default text/markdown)}]",
  ),
  clientId: message.clientId.describe("Idempotency key: a retry with the same clientId returns the first message instead of a second one"),
  iterationOf: message.iterationOf.describe(
    "The messageId of your earlier version, whose review was answered or expired: this message is its revision (the next iteration of the chain)",
  ),
};

// ---- Nod's own tools --------------------------------------------------------------------------

/** send_message. */
export const sendMessageInput = z.strictObject({
  channelId: channelIdInput,
  text: message.text.describe("The message, in markdown"),
  ...common,
});

/** One ask_* tool: the question, the review type's payload and when it expires. */
const askInput = (payload: z.ZodType) =>
  z.strictObject({
    channelId: channelIdInput,
    text: messageText.describe("The question, in markdown: what the person is deciding and why"),
    payload,
    expiresInSeconds: approvalReview.shape.expiresInSeconds.describe("Expire after this many seconds (default 86400, at most 36 h)"),
    expiresAt: approvalReview.shape.expiresAt.describe("Expire at this ISO time (at most 36 h ahead); expiresInSeconds wins"),
    ...common,
  });
export type AskInput = ReturnType<typeof askInput>;

/** ask_approval. */
export const askApprovalInput = askInput(approvalReview.shape.payload);
/** ask_selection. */
export const askSelectionInput = askInput(selectionReview.shape.payload);
/** ask_form. */
export const askFormInput = askInput(formReview.shape.payload);
/** ask_text. */
export const askTextInput = askInput(textReview.shape.payload);
/** ask_freeform. */
export const askFreeformInput = askInput(freeformReview.shape.payload);

/** wait_for_review. */
export const waitForReviewInput = z.strictObject({
  messageId: idSchema.describe("The messageId an ask_* tool returned"),
  channelId: channelIdInput,
  timeoutSeconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).default(MAX_WAIT_SECONDS).describe("How long to wait; 0 only looks"),
  connectionTimeoutMs: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(`Placet's name for the wait, in milliseconds; capped at ${MAX_WAIT_SECONDS * 1000} like timeoutSeconds, which it replaces`),
});

/** get_pending_reviews and its alias list_pending_reviews. */
export const getPendingReviewsInput = z.strictObject({
  channelId: message.channelId.describe("Only this channel (default: every channel the key can use)"),
  limit: listMessagesQuery.shape.limit,
});

/** get_iteration_chain. */
export const getIterationChainInput = z.strictObject({
  messageId: idSchema.describe("Any messageId of the chain"),
  channelId: channelIdInput,
});

/** list_channels. */
export const listChannelsInput = z.strictObject({});

/** ping_status and its alias report_status. */
export const pingStatusInput = statusPingBody.extend({
  agentId: statusPingBody.shape.agentId.describe("The agent (= channel) id; left out like channelId in the other tools"),
});

/** upload_file. */
export const uploadFileInput = z.strictObject({
  channelId: channelIdInput,
  filename: z.string().min(1).max(255).describe("e.g. report.pdf"),
  mimeType: z.string().max(200).optional().describe("e.g. application/pdf (default application/octet-stream)"),
  contentBase64: z.string().min(1).describe("The file's bytes, base64-encoded"),
  text: messageText.optional().describe("Post a message with this text carrying the file"),
  status: common.status,
});

// ---- Placet's tools ---------------------------------------------------------------------------

/** send_review_message. */
export const sendReviewMessageInput = z.strictObject({
  channelId: channelIdInput,
  text: message.text.describe("The question, in markdown, shown above the review: what the person is deciding and why"),
  reviewType: z.enum(REVIEW_TYPES).describe("approval, selection, form, text-input or freeform"),
  reviewPayload: z.record(z.string(), z.unknown()).describe("The review type's payload (see the description)"),
  expiresInSeconds: reviewOptions.expiresInSeconds.describe("Expire after this many seconds (default 86400, at most 36 h)"),
  webhookUrl: message.webhookUrl.describe("An http(s) URL that gets the answer (and the other events of this message) as a webhook"),
  waitInline: z.boolean().optional().describe("Wait for the answer in this call (default false)"),
  waitTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_INLINE_WAIT_SECONDS)
    .optional()
    .describe(`With waitInline: how long to wait at most (default ${MAX_INLINE_WAIT_SECONDS})`),
  ...common,
});

/** create_channel: the API's own body for a new agent. */
export const createChannelInput = createAgentBody;

/** get_messages. */
export const getMessagesInput = z.strictObject({
  channelId: channelIdInput,
  limit: listMessagesQuery.shape.limit.describe("At most this many (default 50)"),
  cursor: listMessagesQuery.shape.cursor.describe("nextCursor of the previous call"),
  search: listMessagesQuery.shape.search.describe("Only messages whose text contains this"),
  after: listMessagesQuery.shape.after.describe("Only messages after this seq, oldest first (to catch up)"),
});

/** get_message. */
export const getMessageInput = z.strictObject({ messageId: idSchema.describe("The message's id"), channelId: channelIdInput });

/** delete_message. */
export const deleteMessageInput = z.strictObject({ messageId: idSchema.describe("The message's id"), channelId: channelIdInput });

/** list_plugins. */
export const listPluginsInput = z.strictObject({});
