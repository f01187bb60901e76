// A Discord webhook (discord.com/developers/docs/resources/webhook#execute-webhook): an embed with the
// question, and link buttons (component type 2, style 5). A webhook not owned by an application may send
// non-interactive components only with `?with_components=true`; the embed's own URL carries the answer
// link too, for clients that show no buttons. Mentions in an agent's text never ping anyone.
import { type ChannelNotice, truncate } from "../notice";
import type { ChannelRequest } from "./index";

const TITLE_CHARS = 256;
const DESCRIPTION_CHARS = 4096;
/** The embed's colour by priority: grey, blurple, orange, red. */
const COLOURS = { low: 0x99aab5, normal: 0x5865f2, high: 0xf0a020, urgent: 0xed4245 } as const;

export function discordRequest(url: string, notice: ChannelNotice): ChannelRequest {
  const target = new URL(url);
  target.searchParams.set("with_components", "true");
  const buttons = [
    notice.answerUrl && { type: 2, style: 5, label: "Answer", url: notice.answerUrl },
    notice.chatUrl && { type: 2, style: 5, label: "Open in Nod", url: notice.chatUrl },
  ].filter(Boolean);
  const body = {
    username: "Nod",
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: truncate(notice.title, TITLE_CHARS),
        description: truncate(notice.body, DESCRIPTION_CHARS),
        ...(notice.answerUrl || notice.chatUrl ? { url: notice.answerUrl ?? notice.chatUrl } : {}),
        color: COLOURS[notice.priority ?? "normal"],
        ...(notice.priority ? { fields: [{ name: "Priority", value: notice.priority, inline: true }] } : {}),
        timestamp: notice.at,
      },
    ],
    ...(buttons.length ? { components: [{ type: 1, components: buttons }] } : {}),
  };
  return { url: target.toString(), headers: {}, body: JSON.stringify(body) };
}
