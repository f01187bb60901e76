// What kind of preview a file gets, from its MIME type and name.
import type { Attachment } from "./types";

export type FileKind = "image" | "pdf" | "video" | "audio" | "text" | "html" | "other";

const CODE_EXT =
  /\.(txt|md|markdown|csv|tsv|log|json|jsonl|ya?ml|toml|ini|cfg|conf|xml|svg|sql|sh|bash|zsh|py|rb|go|rs|java|kt|c|h|cc|cpp|hpp|cs|js|mjs|cjs|jsx|ts|tsx|css|scss|less|php|pl|swift|lua|r|diff|patch|env|dockerfile|gitignore)$/i;
const IMAGE = /^image\/(png|jpe?g|gif|webp|avif|bmp)$/;

export function fileKind(a: Pick<Attachment, "mimeType" | "filename">): FileKind {
  const t = a.mimeType.toLowerCase();
  if (t === "text/html") return "html";
  if (IMAGE.test(t)) return "image";
  if (t === "application/pdf") return "pdf";
  if (t.startsWith("video/")) return "video";
  if (t.startsWith("audio/")) return "audio";
  if (t.startsWith("text/") || /^application\/(json|xml|x-yaml|yaml|javascript|x-sh|sql|x-ndjson)$/.test(t) || t.endsWith("+json") || t.endsWith("+xml"))
    return "text";
  if (CODE_EXT.test(a.filename)) return "text";
  return "other";
}

export function fileIcon(a: Pick<Attachment, "mimeType" | "filename">): string {
  const t = a.mimeType;
  const n = a.filename.toLowerCase();
  if (/\.(docx?|odt|rtf)$/.test(n) || t.includes("wordprocessing") || t === "application/msword") return "DOC";
  if (/\.(xlsx?|ods|csv)$/.test(n) || t.includes("spreadsheet") || t === "application/vnd.ms-excel") return "XLS";
  if (/\.(pptx?|odp|key)$/.test(n) || t.includes("presentation")) return "PPT";
  if (/\.(zip|tar|gz|tgz|bz2|xz|7z|rar)$/.test(n) || /zip|compressed|tar|gzip/.test(t)) return "ZIP";
  if (t === "application/pdf") return "PDF";
  const ext = n.includes(".") ? n.split(".").pop()! : "";
  return (ext || "FILE").slice(0, 4).toUpperCase();
}
