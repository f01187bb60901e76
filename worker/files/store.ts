// Storing files: the bytes in R2, a row in D1, unattached until a message names the file (the room
// links it). Shared by the upload routes (files/routes.ts) and by posts that carry `textAttachments`.
import type { Context } from "hono";
import type { Db } from "../db/client";
import { inList } from "../db/lists";
import { attachments } from "../db/schema";
import type { AppEnv, Principal } from "../env";
import { newId, nowIso } from "../lib/ids";
import { logError } from "../lib/log";
import type { AttachmentRow } from "../services/messages";
import type { Refused, RoomResult } from "../room/types";
import type { z } from "zod";
import { LIMITS } from "../../contract/limits";
// Types whose bytes are text carry `textContent` when small enough.
import { isTextType } from "../../contract/file-kinds";
import type { textAttachment } from "../../contract/requests/message";
import type { StoredFileDto } from "../../contract/dto";
import { attachmentDto } from "../services/messages";
import { deleteObjects } from "./r2";

/** A file about to be stored: its bytes as a stream (large uploads) or in memory (small text). */
export interface NewFile {
  filename: string;
  mimeType: string;
  size: number;
  body: ReadableStream | Uint8Array;
  textContent: string | null;
}

export function cleanFilename(name: string) {
  const base = name.split(/[\\/]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what a filename must lose
  const withoutControls = base.replace(/[\u0000-\u001f\u007f"]/g, "");
  const cleaned = withoutControls.trim().slice(0, 255);
  return cleaned || "file";
}

export const cleanMime = (type: string) => (/^[\w.+-]+\/[\w.+-]+$/.test(type) ? type.toLowerCase() : "application/octet-stream");

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The text of a file for its `textContent`: null unless a text type, at most LIMITS.textContentBytes, and valid UTF-8. */
export function textContentOf(mimeType: string, bytes: Uint8Array): string | null {
  if (!isTextType(mimeType) || bytes.byteLength > LIMITS.textContentBytes) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null; // not UTF-8: the bytes are still stored, only without their text
  }
}

/** An uploaded file as it will be stored; a small text file is read into memory for its `textContent`. */
export async function newFileFromUpload(file: File): Promise<NewFile> {
  const mimeType = cleanMime(file.type);
  const base = { filename: cleanFilename(file.name), mimeType, size: file.size };
  if (isTextType(mimeType) && file.size <= LIMITS.textContentBytes) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return { ...base, body: bytes, textContent: textContentOf(mimeType, bytes) };
  }
  return { ...base, body: file.stream(), textContent: null };
}

type TextAttachment = z.output<typeof textAttachment>;

function newTextFile(text: TextAttachment): NewFile {
  const bytes = new TextEncoder().encode(text.content);
  const mimeType = cleanMime(text.mimeType);
  return { filename: cleanFilename(text.filename), mimeType, size: bytes.byteLength, body: bytes, textContent: textContentOf(mimeType, bytes) };
}

/** The channel files are stored in: its id alone (the caller's own agent), or the agent row (its owner may be another: a member's upload). */
export type FileChannel = string | { id: string; userId: string };

/**
 * Puts the bytes in R2 and records the files, unattached, in the order given: one R2 put per file and
 * one D1 round trip for all the rows. Should the rows fail, the bytes are removed again. The files
 * belong to the agent's owner (attachments.user_id), whoever uploaded them, as its messages do.
 */
export async function storeFiles(c: Context<AppEnv>, p: Principal, channel: FileChannel, files: NewFile[]): Promise<AttachmentRow[]> {
  if (files.length === 0) return [];
  const { id: channelId, userId } = typeof channel === "string" ? { id: channel, userId: p.userId } : channel;
  const rows: AttachmentRow[] = files.map((file) => {
    const id = newId();
    return {
      id,
      userId,
      channelId,
      messageId: null,
      position: 0,
      r2Key: `${userId}/${channelId}/${id}`,
      filename: file.filename,
      mimeType: file.mimeType,
      size: file.size,
      textContent: file.textContent,
      createdAt: nowIso(),
    };
  });
  const put = (i: number) => c.env.FILES.put(rows[i]!.r2Key, files[i]!.body, { httpMetadata: { contentType: rows[i]!.mimeType } });
  try {
    // Bytes in memory go up together; an upload's streams one at a time, as the request body holds them.
    if (files.every((f) => f.body instanceof Uint8Array)) await Promise.all(files.map((_, i) => put(i)));
    else for (const i of files.keys()) await put(i);
    // A statement per row, in one batch: a multi-row insert would bind 11 parameters a file (D1 allows 100).
    const [first, ...rest] = rows.map((row) => c.var.db.insert(attachments).values(row));
    await c.var.db.batch([first!, ...rest]);
  } catch (err) {
    await deleteObjects(
      c.env.FILES,
      rows.map((r) => r.r2Key),
    );
    throw err;
  }
  return rows;
}

/** Text attachments (`textAttachments`, `POST /files/store-text`), validated by their schema, as stored files in order. */
export const storeTextFiles = (c: Context<AppEnv>, p: Principal, channel: FileChannel, texts: readonly TextAttachment[]) =>
  storeFiles(c, p, channel, texts.map(newTextFile));

/** Removes stored files that no message took (a refused post): the rows, then the bytes. */
export async function discardFiles(c: Context<AppEnv>, d: Db, rows: AttachmentRow[]) {
  if (rows.length === 0) return;
  await d.delete(attachments).where(
    inList(
      attachments.id,
      rows.map((r) => r.id),
    ),
  );
  await deleteObjects(
    c.env.FILES,
    rows.map((r) => r.r2Key),
  );
}

/** A file as the files API shows it. */
export const storedFileDto = (row: AttachmentRow): StoredFileDto => ({
  ...attachmentDto(row),
  messageId: row.messageId,
  channelId: row.channelId,
  createdAt: row.createdAt,
});

/**
 * After a post that carried files stored for it (an upload, `textAttachments`): when the room refused the
 * post, or replayed an earlier one, no message took the files and they go at once. When the post failed any
 * other way (the room unreachable) its outcome is unknown, so they stay: attached if it landed, else
 * removed by the hourly clean-up after 24 h (maintenance/orphan-files.ts). So does a file whose removal
 * fails here: the caller still gets the room's answer.
 */
export async function releaseUnposted(c: Context<AppEnv>, rows: AttachmentRow[], result: RoomResult<{ created: boolean }> | Refused) {
  if (rows.length === 0 || (result.ok && result.value.created)) return;
  await discardFiles(c, c.var.db, rows).catch((err: unknown) => logError("unposted files not removed (the clean-up will)", err));
}
