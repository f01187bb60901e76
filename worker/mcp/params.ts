// The tool arguments several tools share, described for a model reading the tool list; built from the API's
// own zod schemas (contract/requests), so a tool accepts what the API accepts.
import { postMessageBody } from "../../contract/requests/message";
import type { CallApi } from "./server";

/** What every tool works with: the agent API as the caller, the request's default channel, and its signal. */
export interface ToolContext {
  call: CallApi;
  /** From the `x-nod-channel` header or `?channel=` on the /mcp URL: the channel of a call that names none. */
  defaultChannel?: string;
  /** Aborted when the MCP request is given up (its HTTP request closes). */
  signal?: AbortSignal;
}

export const message = postMessageBody.shape;

/** The channelId argument; it says which channel a call that leaves it out goes to. */
export function channelParam(ctx: ToolContext) {
  return message.channelId.describe(
    ctx.defaultChannel
      ? `The channel (= agent) id, from list_channels. Default: "${ctx.defaultChannel}" (this connection's channel).`
      : "The channel (= agent) id, from list_channels. May be left out when the key is scoped to one agent or the user has exactly one, or when the MCP connection names a channel (x-nod-channel header, ?channel= on the URL).",
  );
}

/** The channel a call goes to: its own channelId, else the connection's default (else the API's rule). */
export const channelOf = (ctx: ToolContext, channelId: string | null | undefined) => channelId ?? ctx.defaultChannel;

export const common = {
  status: message.status.describe("Colour of the message: info, success, warning or error"),
  metadata: message.metadata.describe("Any JSON object kept with the message"),
  attachmentIds: message.attachmentIds.describe("Ids of files stored with upload_file, shown with the message"),
  textAttachments: message.textAttachments.describe(
    "Text shown as files of the message, after attachmentIds: [{content, filename (default content.md), mimeType (default text/markdown)}]",
  ),
  clientId: message.clientId.describe("Idempotency key: a retry with the same clientId returns the first message instead of a second one"),
  iterationOf: message.iterationOf.describe(
    "The messageId of your earlier version, whose review was answered or expired: this message is its revision (the next iteration of the chain)",
  ),
};

/** A second, older name of a tool: listed too, same schema and handler, its description says which it is. */
export const aliasNote = (of: string | undefined, description: string) => (of ? `Alias of ${of}. ${description}` : description);
