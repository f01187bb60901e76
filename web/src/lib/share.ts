// Share links from the web app: a link that downloads one file without signing in, for an hour
// (POST /api/files/:id/share), copied to the clipboard, with a toast saying so.
import type { ShareLinkDto } from "../../../contract/dto";
import { LIMITS } from "../../../contract/limits";
import { api, apiPath } from "./api";
import { errorText, toast } from "./state";

const HOURS = LIMITS.shareDefaultSeconds / 3600;

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard (an insecure origin, a denied permission): the toast shows the link instead
  }
}

/** Creates a link to the file and copies it; what happened is said in a toast. */
export async function copyShareLink(file: { id: string; filename: string }): Promise<void> {
  let link: ShareLinkDto;
  try {
    link = await api.post<ShareLinkDto>(apiPath`/api/files/${file.id}/share`, {});
  } catch (err) {
    toast(`No link: ${errorText(err)}`, "error");
    return;
  }
  const validity = `Anyone with it can download ${file.filename} for ${HOURS === 1 ? "1 hour" : `${HOURS} hours`}.`;
  if (await copy(link.url)) toast(`Link copied. ${validity}`, "success", 6000);
  else toast(`Copy this link: ${link.url} — ${validity}`, "info", 20_000);
}
