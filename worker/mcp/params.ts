// What the tools share: their context, and the arguments that depend on it (a connection's default channel,
// known only per request). The tools' input schemas themselves are in contract/requests/mcp.ts.
import { channelIdInput } from "../../contract/requests/mcp";
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
  return ctx.defaultChannel
    ? message.channelId.describe(`The channel (= agent) id, from list_channels. Default: "${ctx.defaultChannel}" (this connection's channel).`)
    : channelIdInput;
}

/** The channel a call goes to: its own channelId, else the connection's default (else the API's rule). */
export const channelOf = (ctx: ToolContext, channelId: string | null | undefined) => channelId ?? ctx.defaultChannel;

/** A second, older name of a tool: listed too, same schema and handler, its description says which it is. */
export const aliasNote = (of: string | undefined, description: string) => (of ? `Alias of ${of}. ${description}` : description);
