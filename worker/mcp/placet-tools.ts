// The tools of Placet's MCP server that Nod's own set lacked: send_review_message (any review type in one tool,
// optionally waiting for the answer in the same call), create_channel, get_messages, get_message,
// delete_message and list_plugins. Same names and arguments as Placet's, so an agent prompted for Placet works.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AgentDto, MessageDto, PageDto, WaitDto } from "../../contract/dto";
import {
  createChannelInput,
  deleteMessageInput,
  getMessageInput,
  getMessagesInput,
  listPluginsInput,
  MAX_INLINE_WAIT_SECONDS,
  sendReviewMessageInput,
} from "../../contract/requests/mcp";
import { channelOf, channelParam, type ToolContext } from "./params";
import { api, failed, type Json, ok, query, reviewSummary, waitOutcome } from "./results";

/** One long-poll of the agent API (its cap). */
const POLL_MS = 30_000;

/** send_review_message names the API's `review.*` fields its own way: errors say the tool's names. */
const reviewArgName = (path: string) =>
  path
    .replace(/^review\.payload/, "reviewPayload")
    .replace(/^review\.type/, "reviewType")
    .replace(/^review\./, "");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Long-polls the review until it is answered or expires, the time is up, or the call is given up. */
async function waitForAnswer(ctx: ToolContext, messageId: string, channel: string, seconds: number, signal: AbortSignal): Promise<CallToolResult> {
  const deadline = Date.now() + seconds * 1000;
  const path = `/api/v1/reviews/${encodeURIComponent(messageId)}/wait`;
  for (;;) {
    const timeout = Math.max(0, Math.min(POLL_MS, deadline - Date.now()));
    const res = await ctx.call("GET", `${path}${query({ channel, timeout })}`);
    const last = Date.now() >= deadline || signal.aborted || ctx.signal?.aborted === true;
    if (res.status === 503 && !last) {
      // The room restarted while the wait was parked: nothing is lost, wait again.
      await sleep(250);
      continue;
    }
    if (res.status >= 400) return failed(res.status, res.body);
    const result = res.body as WaitDto;
    if (result.status !== "timeout" || last) return ok(waitOutcome(result, messageId));
  }
}

export function registerPlacetTools(server: McpServer, ctx: ToolContext) {
  const { call } = ctx;
  // Every input schema is in the contract; only channelId is described here, as it names the connection's default channel.
  const channelId = channelParam(ctx);

  server.registerTool(
    "send_review_message",
    {
      title: "Ask for a review",
      description: `Post a message that asks the person for an answer, of one of five review types:
• approval: buttons. reviewPayload {options: [{id, label, style?}], allowComment?}; styles primary|danger|secondary|ghost. Answer {selectedOption, comment?}.
• selection: pick from a list. reviewPayload {mode: "single"|"multi", items: [{id, label, description?}]}. Answer {selectedIds}.
• form: typed fields. reviewPayload {fields: [{name, type, label, required?, placeholder?, options?, defaultValue?, min?, max?, step?, unit?}], submitLabel?}; types text|number|email|url|textarea|select|checkbox|date|time|datetime|range|password. Answer: an object keyed by field name.
• text-input: free text. reviewPayload {placeholder?, prefill?, markdown?, minLength?, maxLength?}. Answer {text}.
• freeform: any JSON, e.g. {plugin: "diff", ...} to render a plugin (see list_plugins and the send_{plugin}_message tools). Answer: a JSON object.
Returns the pending review's messageId at once; call wait_for_review with it. With waitInline: true it waits for the answer in this same call (up to waitTimeoutSeconds, default ${MAX_INLINE_WAIT_SECONDS}) and returns it, or {status:"timeout"} if the person has not answered yet: then call wait_for_review with the messageId. Some MCP clients give up on calls that long: then leave waitInline out.`,
      inputSchema: sendReviewMessageInput.extend({ channelId }),
    },
    async ({ channelId, reviewType, reviewPayload, expiresInSeconds, waitInline, waitTimeoutSeconds, ...rest }, extra) => {
      const res = await call("POST", "/api/v1/messages", {
        json: { ...rest, channelId: channelOf(ctx, channelId), review: { type: reviewType, payload: reviewPayload, expiresInSeconds } },
      });
      if (res.status >= 400) return failed(res.status, res.body, reviewArgName);
      const m = res.body as MessageDto;
      if (!waitInline) {
        return ok({ ...reviewSummary(m), status: "pending", next: "Call wait_for_review with this messageId to get the answer." });
      }
      return waitForAnswer(ctx, m.id, m.channelId, waitTimeoutSeconds ?? MAX_INLINE_WAIT_SECONDS, extra.signal);
    },
  );

  server.registerTool(
    "create_channel",
    {
      title: "Create a channel",
      description:
        "Create a channel (= agent) with a name, an optional description and webhook URL. Its id is the channelId of the other tools. A key scoped to some agents cannot create channels.",
      inputSchema: createChannelInput,
    },
    (args) => api<AgentDto>(call, "POST", "/api/v1/agents", { json: args }, (channel) => ({ channel: channel as unknown as Json })),
  );

  server.registerTool(
    "get_messages",
    {
      title: "List messages",
      description:
        "A channel's messages, newest first (the person's replies included: senderType user), with their reviews and attachments. Pass nextCursor back as cursor for older ones; search matches the text.",
      inputSchema: getMessagesInput.extend({ channelId }),
      annotations: { readOnlyHint: true },
    },
    ({ channelId, limit, cursor, search, after }) =>
      api<PageDto<MessageDto>>(
        call,
        "GET",
        `/api/v1/messages${query({ channel: channelOf(ctx, channelId), limit, cursor, search, after })}`,
        undefined,
        (page) => ({ messages: page.data, nextCursor: page.nextCursor }),
      ),
  );

  server.registerTool(
    "get_message",
    {
      title: "Get a message",
      description: "One message with its review (its state, the person's response and feedback) and attachments.",
      inputSchema: getMessageInput.extend({ channelId }),
      annotations: { readOnlyHint: true },
    },
    ({ messageId, channelId }) =>
      api<MessageDto>(call, "GET", `/api/v1/messages/${encodeURIComponent(messageId)}${query({ channel: channelOf(ctx, channelId) })}`, undefined, (m) => ({
        message: m as unknown as Json,
      })),
  );

  server.registerTool(
    "delete_message",
    {
      title: "Delete a message",
      description: "Retract a message: it disappears from the person's inbox, and a pending review of it stops.",
      inputSchema: deleteMessageInput.extend({ channelId }),
      annotations: { destructiveHint: true },
    },
    ({ messageId, channelId }) =>
      api<Json>(call, "DELETE", `/api/v1/messages/${encodeURIComponent(messageId)}${query({ channel: channelOf(ctx, channelId) })}`, undefined, (r) => r),
  );

  server.registerTool(
    "list_plugins",
    {
      title: "List plugins",
      description:
        "The installed plugins: each renders a freeform review whose payload names it ({plugin: name, ...}), and has its own send_{plugin}_message tool.",
      inputSchema: listPluginsInput,
      annotations: { readOnlyHint: true },
    },
    () => api<Json[]>(call, "GET", "/api/v1/plugins", undefined, (plugins) => ({ plugins })),
  );
}
