// Links from the web app, copied to the clipboard with a toast saying so: a share link that downloads one
// file without signing in, for an hour (POST /api/files/:id/share), and an answer link that answers one
// review as you, from any device, until it expires (POST /api/messages/:id/answer-link).
import type { AnswerLinkDto, ShareLinkDto } from "../../../contract/dto";
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

/** Makes a link that answers this review as the signed-in person, without signing in, and copies it. */
export async function copyAnswerLink(messageId: string): Promise<void> {
  let link: AnswerLinkDto;
  try {
    link = await api.post<AnswerLinkDto>(apiPath`/api/messages/${messageId}/answer-link`, {});
  } catch (err) {
    toast(`No link: ${errorText(err)}`, "error");
    return;
  }
  const validity = "It answers this review as you, from any device, until the review expires; keep it to yourself.";
  if (await copy(link.url)) toast(`Answer link copied. ${validity}`, "success", 6000);
  else toast(`Copy this answer link: ${link.url} — ${validity}`, "info", 20_000);
}
