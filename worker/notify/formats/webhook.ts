// The signed webhook: a Standard Webhooks payload `{type, timestamp, data}`, signed with the channel's own
// secret (deliver.ts adds webhook-id, webhook-timestamp and webhook-signature). `data` carries the agent,
// the message as the agent API shows it, the person's answer link and the one-tap answers, each with the
// JSON body to POST to that link.
import type { ChannelNotice } from "../notice";
import type { ChannelRequest } from "./index";

export function webhookRequest(url: string, notice: ChannelNotice): ChannelRequest {
  const body = {
    type: notice.event,
    timestamp: notice.at,
    data: {
      title: notice.title,
      body: notice.body,
      occasion: notice.occasion,
      priority: notice.priority,
      agent: notice.agent,
      message: notice.message,
      chatUrl: notice.chatUrl,
      answerUrl: notice.answerUrl,
      actions: notice.answerUrl ? notice.actions.map((a) => ({ label: a.title, url: notice.answerUrl, body: { response: a.response } })) : [],
    },
  };
  return { url, headers: {}, body: JSON.stringify(body) };
}
