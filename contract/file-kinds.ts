// Which kind of file a MIME type is, for the Files page's filter (`GET /api/files?type=`). One
// definition: the Worker builds its SQL filter from these lists (worker/files/gallery.ts) and decides
// which uploads are text (their `textContent`) with `isTextType`; the web app labels files with `fileKindOf`.
import type { FileKind } from "./enums";

/** `application/…` subtypes whose bytes are text (source code, data, markup). */
export const TEXT_APPLICATION_SUBTYPES = ["json", "xml", "yaml", "x-yaml", "x-ndjson", "javascript", "toml", "sql", "graphql"] as const;

/** Structured-syntax suffixes (RFC 6839) of text types: `application/ld+json`, `image/svg+xml`. */
export const TEXT_SUFFIXES = ["+json", "+xml", "+yaml"] as const;

/** The prefix or exact type of each kind but text and other (MIME types are stored in lower case). */
export const KIND_PREFIXES = { image: "image/", video: "video/", audio: "audio/" } as const;
export const PDF_TYPE = "application/pdf";

export function isTextType(mimeType: string): boolean {
  const t = mimeType.toLowerCase();
  if (t.startsWith("text/")) return true;
  if (TEXT_SUFFIXES.some((s) => t.endsWith(s))) return true;
  return t.startsWith("application/") && (TEXT_APPLICATION_SUBTYPES as readonly string[]).includes(t.slice("application/".length));
}

/** The kind of a MIME type; the first that fits, in this order (so `image/svg+xml` is an image). */
export function fileKindOf(mimeType: string): FileKind {
  const t = mimeType.toLowerCase();
  if (t.startsWith(KIND_PREFIXES.image)) return "image";
  if (t === PDF_TYPE) return "pdf";
  if (t.startsWith(KIND_PREFIXES.video)) return "video";
  if (t.startsWith(KIND_PREFIXES.audio)) return "audio";
  if (isTextType(t)) return "text";
  return "other";
}
