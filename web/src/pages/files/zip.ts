// A selection of files as one ZIP, made in the browser: each file's bytes fetched with the session
// cookie, then zipped by fflate, loaded only when a ZIP is asked for (it stays out of the first screen's JS).
// zipSync, not the async `zip`: that one runs in workers made from blob: URLs, which the app's CSP
// (worker-src 'self') refuses.
import { downloadUrl } from "../../lib/api";

interface ZipFile {
  id: string;
  filename: string;
  mimeType: string;
}

/** Types that are compressed already: stored as they are, which is as small and much faster. */
const COMPRESSED = /^(image\/(png|jpe?g|gif|webp|avif)|video\/|audio\/|application\/(pdf|zip|gzip|x-7z-compressed|x-rar-compressed))/;

/** `report.pdf`, `report (2).pdf`, … : a ZIP's names must differ, and files of two agents may share one. */
export function uniqueNames(filenames: string[]): string[] {
  const used = new Set<string>();
  return filenames.map((name) => {
    let candidate = name;
    const dot = name.lastIndexOf(".");
    const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${base} (${n})${ext}`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

async function bytesOf(file: ZipFile): Promise<Uint8Array> {
  const res = await fetch(downloadUrl(file.id), { credentials: "same-origin" });
  if (!res.ok) throw new Error(`${file.filename}: ${res.status === 404 ? "no longer there" : `HTTP ${res.status}`}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function zipSelection(files: ZipFile[]): Promise<Blob> {
  const [{ zipSync }, contents] = await Promise.all([import("fflate"), Promise.all(files.map(bytesOf))]);
  const names = uniqueNames(files.map((f) => f.filename));
  const entries: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  files.forEach((f, i) => {
    entries[names[i]!] = [contents[i]!, { level: COMPRESSED.test(f.mimeType) ? 0 : 6 }];
  });
  const zipped = zipSync(entries);
  return new Blob([zipped as Uint8Array<ArrayBuffer>], { type: "application/zip" });
}

/** `nod-files-2026-12-06.zip` */
export const zipName = () => `nod-files-${new Date().toISOString().slice(0, 10)}.zip`;
