// A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): Block Kit for Slack, with the
// question and link buttons (a link button opens the answer page; answering is that page's POST), and
// `text` as the fallback the others show, carrying the links as plain URLs, which all three turn into links.
import { type ChannelNotice, truncate } from "../notice";
import type { ChannelRequest } from "./index";

/** Block Kit's limits: a header's text, a section's text. */
const HEADER_CHARS = 150;
const SECTION_CHARS = 3000;

/** Slack's mrkdwn treats `&`, `<` and `>` as markup: an agent's text is shown, never interpreted. */
const escapeMrkdwn = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function slackRequest(url: string, notice: ChannelNotice): ChannelRequest {
  const buttons: Record<string, unknown>[] = [];
  if (notice.answerUrl) {
    buttons.push({ type: "button", action_id: "answer", text: { type: "plain_text", text: "Answer" }, url: notice.answerUrl, style: "primary" });
  }
  if (notice.chatUrl) buttons.push({ type: "button", action_id: "open", text: { type: "plain_text", text: "Open in Nod" }, url: notice.chatUrl });
  const links = [notice.answerUrl && `Answer: ${notice.answerUrl}`, notice.chatUrl && `Open: ${notice.chatUrl}`].filter(Boolean);
  const body = {
    text: [`${notice.title}: ${notice.body}`, ...links].join("\n"),
    blocks: [
      { type: "header", text: { type: "plain_text", text: truncate(notice.title, HEADER_CHARS) } },
      { type: "section", text: { type: "mrkdwn", text: truncate(escapeMrkdwn(notice.body), SECTION_CHARS) } },
      ...(notice.priority && notice.priority !== "normal" ? [{ type: "context", elements: [{ type: "mrkdwn", text: `Priority: *${notice.priority}*` }] }] : []),
      ...(buttons.length ? [{ type: "actions", elements: buttons }] : []),
    ],
  };
  return { url, headers: {}, body: JSON.stringify(body) };
}
