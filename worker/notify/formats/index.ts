// Each channel kind's request for a notice: where it posts and what (the headers deliver.ts adds: the
// content type, an ntfy token, the signed webhook's signature).
import type { NotificationChannelKind } from "../../../contract/enums";
import type { ChannelNotice } from "../notice";
import { discordRequest } from "./discord";
import { ntfyRequest } from "./ntfy";
import { slackRequest } from "./slack";
import { webhookRequest } from "./webhook";

export interface ChannelRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const FORMATS: Record<NotificationChannelKind, (url: string, notice: ChannelNotice) => ChannelRequest> = {
  ntfy: ntfyRequest,
  slack: slackRequest,
  discord: discordRequest,
  webhook: webhookRequest,
};

export const channelRequest = (kind: NotificationChannelKind, url: string, notice: ChannelNotice): ChannelRequest => FORMATS[kind](url, notice);
