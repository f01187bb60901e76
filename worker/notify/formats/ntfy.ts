// ntfy (docs.ntfy.sh/publish/#publish-as-json): a JSON body posted to the server's root, naming the topic.
// A review's one-tap answers are `http` actions that POST the answer to the person's answer link, so ntfy's
// Android and iOS apps answer from the notification (`clear` dismisses it once the POST succeeds); a
// `view` action and the click open the answer page. An access token goes as `Authorization: Bearer`
// (deliver.ts adds it).
import { topicOf } from "../../../contract/requests/notifications";
import type { ChannelNotice } from "../notice";
import type { ChannelRequest } from "./index";

/** ntfy's priorities: 1 min, 2 low, 3 default, 4 high, 5 max (urgent). */
const PRIORITIES = { low: 2, normal: 3, high: 4, urgent: 5 } as const;
const TAGS = { new: "speech_balloon", reminder: "alarm_clock", escalation: "rotating_light" } as const;

export function ntfyRequest(url: string, notice: ChannelNotice): ChannelRequest {
  const target = topicOf(url);
  if (!target) throw new Error("not an ntfy topic URL"); // refused when saved
  const actions: Record<string, unknown>[] = [];
  if (notice.answerUrl) {
    for (const a of notice.actions) {
      actions.push({
        action: "http",
        label: a.title,
        url: notice.answerUrl,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ response: a.response }),
        clear: true,
      });
    }
    actions.push({ action: "view", label: notice.actions.length ? "Open" : "Answer", url: notice.answerUrl });
  } else if (notice.chatUrl) {
    actions.push({ action: "view", label: "Open chat", url: notice.chatUrl });
  }
  const body = {
    topic: target.topic,
    title: notice.title,
    message: notice.body,
    priority: notice.priority ? PRIORITIES[notice.priority] : 3,
    tags: [notice.event === "review:requested" ? "question" : TAGS[notice.occasion]],
    ...(notice.answerUrl || notice.chatUrl ? { click: notice.answerUrl ?? notice.chatUrl } : {}),
    ...(actions.length ? { actions } : {}),
  };
  return { url: target.server, headers: {}, body: JSON.stringify(body) };
}
