// Bodies and queries of the message and review endpoints (agent and user API); ids, text and metadata bounds.
import { z } from "zod";
import { MESSAGE_STATUSES, REVIEW_STATUSES } from "../enums";
import { jsonBytes } from "../json";
import { LIMITS } from "../limits";
import { reviewRequest } from "./review";

export const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => jsonBytes(m) <= LIMITS.metadataBytes, `must be at most ${LIMITS.metadataBytes} bytes of JSON`);

export const webhookUrlSchema = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(LIMITS.url);
export const idSchema = z.string().min(1).max(LIMITS.id);
export const messageText = z.string().max(LIMITS.text);

/** `POST /api/v1/messages`. */
export const postMessageBody = z
  .strictObject({
    channelId: idSchema.optional(),
    text: messageText.nullable().optional(),
    status: z.enum(MESSAGE_STATUSES).nullable().optional(),
    review: reviewRequest
      .refine((r) => jsonBytes(r.payload) <= LIMITS.payloadBytes, {
        path: ["payload"],
        message: `must be at most ${LIMITS.payloadBytes} bytes of JSON`,
      })
      .optional(),
    metadata: metadataSchema.optional(),
    webhookUrl: webhookUrlSchema.optional(),
    attachmentIds: z.array(idSchema).max(LIMITS.attachmentsPerMessage).optional(),
    clientId: z.string().min(1).max(200).optional(),
  })
  .refine((b) => b.text != null || b.review || b.status || (b.attachmentIds?.length ?? 0) > 0, {
    message: "a message needs at least one of text, review, status or attachmentIds",
  });
export type PostMessageBody = z.infer<typeof postMessageBody>;

/** `POST /api/messages`: a person writes to an agent. */
export const userMessageBody = z
  .strictObject({
    channelId: idSchema,
    text: messageText.optional(),
    attachmentIds: z.array(idSchema).max(LIMITS.attachmentsPerMessage).optional(),
    clientId: z.string().min(1).max(200).optional(),
  })
  .refine((b) => (b.text?.trim().length ?? 0) > 0 || (b.attachmentIds?.length ?? 0) > 0, {
    message: "a message needs text or attachmentIds",
  });

export const respondBody = z.strictObject({ response: z.unknown() });

const limit = z.coerce.number().int().min(1).max(LIMITS.listPage).default(50);
const cursor = z.string().max(200).optional();
const search = z.string().max(200).optional();

export const listMessagesQuery = z.object({
  channel: idSchema.optional(),
  limit,
  cursor,
  search,
  after: z.coerce.number().int().min(0).optional(),
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
  channel: idSchema.optional(),
  limit,
  cursor,
  search,
});
