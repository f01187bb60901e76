// Bodies and queries of the files API (`/api/v1/files`, `/api/files`) that are JSON or a query; the
// multipart forms of store and upload are read field by field in worker/files/routes.ts.
import { z } from "zod";
import { LIMITS } from "../limits";
import { idSchema, textAttachment } from "./message";

/** `POST /api/v1/files/store-text`: text stored as a file, unattached, like a stored upload. */
export const storeTextBody = textAttachment.extend({ channelId: idSchema.optional() });
export type StoreTextBody = z.infer<typeof storeTextBody>;

/** `GET /api/v1/files`: a channel's files, newest first. */
export const listFilesQuery = z.object({
  channel: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.listPage).default(LIMITS.listPage),
});
