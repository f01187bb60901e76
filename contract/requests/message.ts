// Bodies and queries of the message and review endpoints (agent and user API); ids, text and metadata bounds.
import { z } from "zod";
import { INBOX_VIEWS, MESSAGE_STATUSES, REVIEW_STATUSES, STREAM_STATES } from "../enums";
import { jsonBytes } from "../json";
import { LIMITS } from "../limits";
import { reviewPolicyIssues, reviewRequest } from "./review";

export const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => jsonBytes(m) <= LIMITS.metadataBytes, `must be at most ${LIMITS.metadataBytes} bytes of JSON`);

export const webhookUrlSchema = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(LIMITS.url);
export const idSchema = z.string().min(1).max(LIMITS.id);
export const messageText = z.string().max(LIMITS.text);

/** A streamed reply's id, chosen by the agent. */
export const streamIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.id)
  .regex(/^[\w.:-]+$/, "letters, digits and _ . : - only");

/** `PATCH /api/v1/messages/streams/:streamId`: the whole text so far (not a delta); `complete` finalises the draft. */
export const streamUpdateBody = z.strictObject({
  channelId: idSchema.nullish(),
  text: messageText,
  complete: z.boolean().nullish(),
});

/** What an agent socket may emit on /ws: live tokens and progress, relayed to the channel, never stored. */
export const deltaEvent = z.strictObject({
  channelId: idSchema,
  streamId: streamIdSchema,
  delta: z.string().max(LIMITS.deltaChars),
  streamEnd: z.boolean().optional(),
});
export const progressEvent = z.strictObject({
  channelId: idSchema,
  content: z.string().min(1).max(LIMITS.progressChars),
  toolHint: z.string().min(1).max(LIMITS.label).optional(),
  streamId: streamIdSchema.optional(),
});

/** Placet's `textAttachments`: text that becomes a stored file of the message. */
export const textAttachment = z.strictObject({
  content: z.string().min(1).max(LIMITS.text),
  filename: z.string().trim().min(1).max(LIMITS.label).default("content.md"),
  mimeType: z
    .string()
    .regex(/^text\/[\w.+-]+$|^application\/(json|xml|yaml|x-yaml)$/, "must be a text type (text/*, application/json, xml or yaml)")
    .default("text/markdown"),
});

/** `POST /api/v1/messages`. null means "not given" for every optional field (Placet's clients send nulls). */
export const postMessageBody = z
  .strictObject({
    channelId: idSchema.optional(),
    text: messageText.nullish(),
    status: z.enum(MESSAGE_STATUSES).nullish(),
    review: reviewRequest
      .refine((r) => jsonBytes(r.payload) <= LIMITS.payloadBytes, {
        path: ["payload"],
        message: `must be at most ${LIMITS.payloadBytes} bytes of JSON`,
      })
      .superRefine(reviewPolicyIssues)
      .nullish(),
    metadata: metadataSchema.nullish(),
    webhookUrl: webhookUrlSchema.nullish(),
    attachmentIds: z.array(idSchema).max(LIMITS.attachmentsPerMessage).nullish(),
    textAttachments: z.array(textAttachment).max(LIMITS.attachmentsPerMessage).nullish(),
    /** An earlier message of the channel whose review is settled: this one is its next iteration. */
    iterationOf: idSchema.nullish(),
    clientId: z.string().min(1).max(200).nullish(),
    /** A streamed reply's id: with `streamState: "streaming"` this post is a draft, idempotent on (channel, streamId). */
    streamId: streamIdSchema.nullish(),
    streamState: z.enum(STREAM_STATES).nullish(),
  })
  .refine((b) => (b.streamState == null) === (b.streamId == null), {
    path: ["streamState"],
    message: "streamId and streamState go together",
  })
  // A review asks about a message as it stands; a draft still changes. Complete it, or ask in a message of its own.
  .refine((b) => !(b.streamState === "streaming" && b.review), {
    path: ["review"],
    message: 'a streaming draft cannot ask for a review: post it with streamState "complete", or ask in a message of its own',
  })
  .refine((b) => b.text != null || b.review || b.status || (b.attachmentIds?.length ?? 0) > 0 || (b.textAttachments?.length ?? 0) > 0, {
    message: "a message needs at least one of text, review, status, attachmentIds or textAttachments",
  })
  .refine((b) => (b.attachmentIds?.length ?? 0) + (b.textAttachments?.length ?? 0) <= LIMITS.attachmentsPerMessage, {
    path: ["textAttachments"],
    message: `at most ${LIMITS.attachmentsPerMessage} attachments in all (attachmentIds and textAttachments)`,
  });
export type PostMessageBody = z.infer<typeof postMessageBody>;

/** A slash command a person runs (one of the agent's commands, checked by the server): `/deploy prod`. */
export const commandInvocation = z.strictObject({
  name: z
    .string()
    .regex(/^\/?[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, _ and -, at most 32, e.g. deploy")
    .transform((c) => c.replace(/^\//, "")),
  /** The text after the command; "" or absent when none. */
  args: z.string().trim().max(LIMITS.text).optional(),
});

/** The text of a command message as people and agents read it: `/deploy prod`. */
export const commandText = (name: string, args: string) => (args ? `/${name} ${args}` : `/${name}`);

/** `POST /api/messages`: a person writes to an agent, or runs one of its slash commands (`command`). */
export const userMessageBody = z
  .strictObject({
    channelId: idSchema,
    text: messageText.optional(),
    attachmentIds: z.array(idSchema).max(LIMITS.attachmentsPerMessage).optional(),
    clientId: z.string().min(1).max(200).optional(),
    command: commandInvocation.optional(),
  })
  .refine((b) => b.command || (b.text?.trim().length ?? 0) > 0 || (b.attachmentIds?.length ?? 0) > 0, {
    message: "a message needs text, attachmentIds or command",
  })
  // A command's text is its own (`/deploy prod`): a different text would tell the agent something else than the metadata.
  .refine((b) => !b.command || b.text === undefined || b.text.trim() === commandText(b.command.name, b.command.args ?? ""), {
    path: ["text"],
    message: "with command, text is omitted or is the command as typed (/name args)",
  });

/** A person's answer, and what they want the agent to change (any review type). */
export const respondBody = z.strictObject({
  response: z.unknown(),
  feedback: z.string().trim().max(LIMITS.feedback).nullish(),
});

/** `POST /r/:token` as JSON: an answer, and where it came from (a notification's action says "push-action"). */
export const answerLinkBody = respondBody.extend({
  via: z.enum(["link", "push-action"]).default("link"),
});

const limit = z.coerce.number().int().min(1).max(LIMITS.listPage).default(50);
const cursor = z.string().max(200).optional();
const search = z.string().max(200).optional();

export const listMessagesQuery = z.object({
  channel: idSchema.optional(),
  limit,
  cursor,
  search,
  after: z.coerce.number().int().min(0).optional(),
  /** Only messages with (true) or without (false) attachments. */
  has_attachments: z.enum(["true", "false"], { message: 'must be "true" or "false"' }).optional(),
});

export const channelQuery = z.object({ channel: idSchema.optional() });

export const waitQuery = z.object({
  channel: idSchema.optional(),
  timeout: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .transform((t) => Math.min(t, 30_000)),
});

export const inboxQuery = z.object({
  status: z.enum([...REVIEW_STATUSES, "all"]).default("pending"),
  /** A team's view: what waits on me, what waits on others, what I answered (or voted on). */
  view: z.enum(INBOX_VIEWS).optional(),
  channel: idSchema.optional(),
  limit,
  cursor,
  search,
});

/** `GET /api/reviews/count`: how many reviews the inbox would list with these filters (the badge: `view=assigned-to-me`). */
export const inboxCountQuery = inboxQuery.pick({ status: true, view: true, channel: true, search: true });
