// Files, shared by the agent API (/api/v1/files) and the user API (/api/files): bytes in R2,
// records in D1 (files/store.ts). A stored file (store, store-text) waits unattached until a message
// names it in `attachmentIds`; an upload is stored and posted as a message at once.
import { and, desc, eq, or } from "drizzle-orm";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { z } from "zod";
import { attachments } from "../db/schema";
import type { Db } from "../db/client";
import type { AppEnv, Principal } from "../env";
import { ApiError, invalid, notFound } from "../lib/errors";
import { doc, jsonBody, parseWith, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import type { StoredFileDto, UploadedFileDto } from "../../contract/dto";
import { listFilesQuery, storeForm, storeTextBody, uploadForm } from "../../contract/requests/file";
import { canUseAgent, memberChannel, resolveChannel } from "../services/agents";
import { newMessage, type AttachmentRow } from "../services/messages";
import { maxUploadBytes, uploadBodyLimit, uploadTooLarge } from "../lib/body-limit";
import { LIMITS } from "../../contract/limits";
import { newFileFromUpload, releaseUnposted, storedFileDto, storeFiles, storeTextFiles } from "./store";

/** 415 before anything is read, unless the body is a multipart form. */
const multipartOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!/^multipart\/form-data/i.test(c.req.header("content-type") ?? "")) {
    throw new ApiError(415, "Content-Type must be multipart/form-data");
  }
  await next();
};

/** The multipart fields of a request (its size was capped while it streamed in: uploadBodyLimit). */
async function readForm(c: Context<AppEnv>) {
  try {
    return await c.req.parseBody({ all: true });
  } catch {
    throw invalid([{ path: "(body)", message: "not a readable multipart form" }]);
  }
}

function filesOf(form: Record<string, unknown>, names: string[]): File[] {
  return names.flatMap((n) => [form[n]].flat()).filter((v): v is File => v instanceof File);
}

/** The files of an upload, within the attachment count and (together) the upload size. */
function checkedFiles(c: Context<AppEnv>, files: File[]): File[] {
  if (files.length > LIMITS.attachmentsPerMessage) {
    throw invalid([{ path: "file", message: `at most ${LIMITS.attachmentsPerMessage} files per upload (got ${files.length})` }]);
  }
  if (files.reduce((sum, f) => sum + f.size, 0) > maxUploadBytes(c)) throw uploadTooLarge(c);
  return files;
}

const field = (form: Record<string, unknown>, name: string) => {
  const v = form[name];
  return typeof v === "string" ? v : undefined;
};

/** Every file of an upload as it will be stored (small text files are read for their `textContent`). */
const newFiles = (files: File[]) => Promise.all(files.map(newFileFromUpload));

/** A channel's files, newest first (attached or not): `GET /api/v1/files`, and `GET /api/files?channel=`. */
export async function channelFiles(d: Db, p: Principal, q: z.output<typeof listFilesQuery>): Promise<StoredFileDto[]> {
  const agent = await resolveChannel(d, p, q.channel);
  const rows = await d
    .select()
    .from(attachments)
    .where(and(eq(attachments.channelId, agent.id), eq(attachments.userId, agent.userId)))
    .orderBy(desc(attachments.createdAt), desc(attachments.id))
    .limit(q.limit);
  return rows.map(storedFileDto);
}

/**
 * Everything under /files but the list: the user API answers `GET /api/files` with the Files page
 * instead (files/gallery.ts), the channel list only when asked for a `channel`.
 */
export const fileActionRoutes = new Hono<AppEnv>()
  .post(
    "/store-text",
    doc("Store text as a file to attach to a later message", { responses: { 201: "The stored file" } }),
    jsonBody(storeTextBody),
    async (c) => {
      const { channelId, ...text } = c.req.valid("json");
      const p = c.get("principal");
      const agent = await resolveChannel(c.var.db, p, channelId);
      const [row] = await storeTextFiles(c, p, agent, [text]);
      return c.json(storedFileDto(row!) satisfies StoredFileDto, 201);
    },
  )
  .post(
    "/store",
    doc("Store a file to attach to a later message", { responses: { 201: "The stored file" }, multipart: storeForm }),
    multipartOnly,
    uploadBodyLimit,
    async (c) => {
      const form = await readForm(c);
      const p = c.get("principal");
      const d = c.var.db;
      const files = filesOf(form, ["file"]);
      if (files.length !== 1) throw invalid([{ path: "file", message: "exactly one file is required" }]);
      const agent = await resolveChannel(d, p, field(form, "channelId"));
      const [row] = await storeFiles(c, p, agent, await newFiles(checkedFiles(c, files)));
      return c.json(storedFileDto(row!), 201);
    },
  )
  .post(
    "/upload",
    doc("Upload files as a message", {
      responses: { 201: "The first file, attached, with the message carrying them all under `message`" },
      multipart: uploadForm,
    }),
    multipartOnly,
    uploadBodyLimit,
    async (c) => {
      const form = await readForm(c);
      const p = c.get("principal");
      const d = c.var.db;
      const files = filesOf(form, ["file", "files"]);
      if (files.length === 0) throw invalid([{ path: "file", message: "at least one file is required" }]);
      const fields = parseWith(uploadForm.omit({ file: true }), {
        channelId: field(form, "channelId"),
        text: field(form, "text"),
        status: field(form, "status"),
      });
      const agent = await resolveChannel(d, p, fields.channelId);
      const rows = await storeFiles(c, p, agent, await newFiles(checkedFiles(c, files)));
      const post = newMessage(p, agent, { text: fields.text, status: fields.status, attachmentIds: rows.map((r) => r.id) });
      const result = await roomOf(c.env, agent.id).post(post);
      await releaseUnposted(c, rows, result);
      const { message } = unwrap(result);
      return c.json({ ...storedFileDto({ ...rows[0]!, messageId: message.id }), message } satisfies UploadedFileDto, 201);
    },
  )
  .get("/:id/download", doc("Download a file's bytes"), async (c) => {
    const { row, object } = await ownFile(c);
    return new Response(object.body, { headers: fileHeaders(row, "attachment", row.mimeType) });
  })
  // The PDF preview. A sandboxed iframe cannot show a PDF in Chromium, so the sandbox comes with the
  // document instead: `Content-Security-Policy: sandbox` gives it an opaque origin, whatever frames it.
  .get("/:id/view", doc("A PDF inline, sandboxed, for the preview frame (415 for other types)"), async (c) => {
    const { row, object } = await ownFile(c);
    if (row.mimeType !== "application/pdf") {
      await object.body.cancel();
      throw new ApiError(415, "Only PDFs are shown inline: download the file instead");
    }
    return new Response(object.body, { headers: fileHeaders(row, "inline", "application/pdf") });
  });

/** The files API as the agent API mounts it. */
export const fileRoutes = new Hono<AppEnv>()
  .get("/", doc("A channel's files, newest first (attached or not)"), query(listFilesQuery), async (c) =>
    c.json(await channelFiles(c.var.db, c.get("principal"), c.req.valid("query"))),
  )
  .route("/", fileActionRoutes);

/**
 * A file the caller sees, with its bytes: of their own agent or (a person) one they are a member of, in
 * one query; 404 when it is missing, someone else's or outside the key's scope.
 */
async function ownFile(c: Context<AppEnv>) {
  const p = c.get("principal");
  const mine = eq(attachments.userId, p.userId);
  const row = await c.var.db.query.attachments.findFirst({
    where: and(eq(attachments.id, c.req.param("id")!), p.keyId !== undefined ? mine : or(mine, memberChannel(attachments.channelId, p.userId))),
  });
  if (!row || !canUseAgent(p, row.channelId)) throw notFound("File");
  const object = await c.env.FILES.get(row.r2Key);
  if (!object) throw notFound("File");
  return { row, object };
}

/** The headers every file download sends (also a share link's: files/shares.ts). */
export function fileHeaders(row: AttachmentRow, disposition: "attachment" | "inline", type: string) {
  return {
    "Content-Type": type,
    "Content-Length": String(row.size),
    "Content-Disposition": `${disposition}; filename="${row.filename.replace(/[^\x20-\x7e]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(row.filename)}`,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": `sandbox; default-src 'none'${disposition === "inline" ? "; frame-ancestors 'self'" : ""}`,
    "Cache-Control": "private, max-age=3600",
  };
}
