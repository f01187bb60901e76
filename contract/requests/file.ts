// Bodies and queries of the files API (`/api/v1/files`, `/api/files`). The multipart forms of store and
// upload are read field by field in worker/files/routes.ts; their schemas here document them.
import { z } from "zod";
import { FILE_KINDS, MESSAGE_STATUSES } from "../enums";
import { LIMITS } from "../limits";
import { idSchema, messageText, textAttachment } from "./message";

/** `POST /api/v1/files/store`, multipart: one file to attach to a later message. */
export const storeForm = z.object({ file: z.any().describe("the file"), channelId: z.string().optional() });

/** `POST /api/v1/files/upload`, multipart: files posted at once as a message with this text and status. */
export const uploadForm = z.object({
  file: z.any().describe("one or more files (also accepted as `files`)"),
  channelId: z.string().optional(),
  text: messageText.optional(),
  status: z.enum(MESSAGE_STATUSES).optional(),
});

/** `POST /api/v1/files/store-text`: text stored as a file, unattached, like a stored upload. */
export const storeTextBody = textAttachment.extend({ channelId: idSchema.optional() });
export type StoreTextBody = z.infer<typeof storeTextBody>;

/** `GET /api/v1/files`: a channel's files, newest first. */
export const listFilesQuery = z.object({
  channel: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.listPage).default(LIMITS.listPage),
});

/** `POST /api/files/:id/share`. */
export const shareFileBody = z.strictObject({
  expiresInSeconds: z.number().int().min(60).max(LIMITS.shareMaxSeconds).nullish(),
});

/** `GET /api/files`: the Files page, across the person's agents, newest first. */
export const galleryQuery = z.object({
  type: z.enum(FILE_KINDS).optional(),
  agent: idSchema.optional(),
  search: z.string().max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.listPage).default(60),
});
