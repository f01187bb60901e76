// Nod's own MCP tools (ask_*, send_message, wait_for_review, upload_file, …), with Placet's names for the ones
// Placet also has (ping_status = report_status, get_pending_reviews = list_pending_reviews). Inputs are built
// from the API's own zod schemas (in contract/requests/mcp.ts); each tool is one or two calls to the agent API,
// which validates again and does the work, so MCP adds no second implementation.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { IterationChainDto, MessageDto, UploadedFileDto, WaitDto } from "../../contract/dto";
import type { ReviewType } from "../../contract/enums";
import {
  type AskInput,
  askApprovalInput,
  askFormInput,
  askFreeformInput,
  askSelectionInput,
  askTextInput,
  getIterationChainInput,
  getPendingReviewsInput,
  listChannelsInput,
  MAX_WAIT_SECONDS,
  pingStatusInput,
  sendMessageInput,
  uploadFileInput,
  waitForReviewInput,
} from "../../contract/requests/mcp";
import { fromBase64 } from "../lib/crypto";
import { aliasNote, channelOf, channelParam, message, type ToolContext } from "./params";
import { api, failed, type Json, query, reviewSummary, summary, waitOutcome } from "./results";
import { registerPlacetTools } from "./placet-tools";
import { registerPluginTools } from "./plugin-tools";

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    return fromBase64(text.replace(/\s+/g, ""));
  } catch {
    return undefined;
  }
}

// ---- tools ------------------------------------------------------------------------------------

export function registerTools(server: McpServer, ctx: ToolContext) {
  const { call } = ctx;
  // Every input schema is in the contract; only channelId is described here, as it names the connection's default channel.
  const channelId = channelParam(ctx);
  server.registerTool(
    "send_message",
    {
      title: "Send a message",
      description: "Post a message (markdown) to the person's inbox. It needs no answer; use an ask_* tool to ask for one.",
      inputSchema: sendMessageInput.extend({ channelId }),
    },
    (args) => api<MessageDto>(call, "POST", "/api/v1/messages", { json: { ...args, channelId: channelOf(ctx, args.channelId) } }, summary),
  );

  /** One ask_* tool: posts a message carrying a review of `type`; the answer comes from wait_for_review. */
  function ask(name: string, title: string, type: ReviewType, input: AskInput, description: string) {
    server.registerTool(
      name,
      {
        title,
        description: `${description}\nReturns a messageId at once: then call wait_for_review with it to get the answer.`,
        inputSchema: input.extend({ channelId }),
      },
      ({ payload, expiresInSeconds, expiresAt, ...rest }) =>
        api<MessageDto>(
          call,
          "POST",
          "/api/v1/messages",
          { json: { ...rest, channelId: channelOf(ctx, rest.channelId), review: { type, payload, expiresInSeconds, expiresAt } } },
          (m) => ({
            ...reviewSummary(m),
            next: "Call wait_for_review with this messageId to get the answer.",
          }),
        ),
    );
  }

  ask(
    "ask_approval",
    "Ask for an approval",
    "approval",
    askApprovalInput,
    'Ask the person to choose one of a few buttons, e.g. payload {"options":[{"id":"approve","label":"Approve","style":"primary"},{"id":"reject","label":"Reject","style":"danger"}],"allowComment":true}. The answer is {selectedOption, comment?}.',
  );
  ask(
    "ask_selection",
    "Ask for a selection",
    "selection",
    askSelectionInput,
    'Ask the person to pick items from a list, e.g. payload {"mode":"multi","items":[{"id":"a","label":"Option A","description":"…"}]}. The answer is {selectedIds: [...]} (exactly one id in single mode).',
  );
  ask(
    "ask_form",
    "Ask to fill a form",
    "form",
    askFormInput,
    'Ask the person to fill a form, e.g. payload {"fields":[{"name":"env","type":"select","label":"Environment","required":true,"options":[{"value":"staging","label":"Staging"}]},{"name":"instances","type":"number","label":"Instances","min":1,"max":10}],"submitLabel":"Deploy"}. Field types: text number email url textarea select checkbox date time datetime range password. The answer is an object keyed by field name.',
  );
  ask(
    "ask_text",
    "Ask for a written answer",
    "text-input",
    askTextInput,
    'Ask the person to write text, e.g. payload {"placeholder":"Describe the issue…","markdown":true,"minLength":10,"maxLength":2000}. The answer is {text}.',
  );
  ask(
    "ask_freeform",
    "Ask for any JSON answer",
    "freeform",
    askFreeformInput,
    "Ask for an answer of any shape (payload is any JSON object, e.g. one naming a plugin). The answer is a JSON object.",
  );

  server.registerTool(
    "wait_for_review",
    {
      title: "Wait for the answer",
      description: `Wait up to ${MAX_WAIT_SECONDS} s for the person's answer to a review. Returns {status:"completed", response, feedback} the moment they answer (feedback: what they want changed, or null), {status:"expired"} if it expired unanswered, or {status:"timeout"} when nobody answered yet: then call wait_for_review again with the same messageId.`,
      inputSchema: waitForReviewInput.extend({ channelId }),
      annotations: { readOnlyHint: true },
    },
    ({ messageId, channelId, timeoutSeconds, connectionTimeoutMs }) =>
      api<WaitDto>(
        call,
        "GET",
        `/api/v1/reviews/${encodeURIComponent(messageId)}/wait${query({
          channel: channelOf(ctx, channelId),
          timeout: Math.min(connectionTimeoutMs ?? timeoutSeconds * 1000, MAX_WAIT_SECONDS * 1000),
        })}`,
        undefined,
        (result) => waitOutcome(result, messageId),
      ),
  );

  for (const [name, aliasOf] of [["get_pending_reviews"], ["list_pending_reviews", "get_pending_reviews"]] as const) {
    server.registerTool(
      name,
      {
        title: "List unanswered reviews",
        description: aliasNote(
          aliasOf,
          "The reviews still waiting for the person, newest first, in one channel or (without a channel) in every channel of the key.",
        ),
        // The contract's channelId says the default is every channel; a connection's default channel is known only here.
        inputSchema: getPendingReviewsInput.extend({
          channelId: ctx.defaultChannel
            ? message.channelId.describe(`Only this channel (default: "${ctx.defaultChannel}", this connection's channel)`)
            : getPendingReviewsInput.shape.channelId,
        }),
        annotations: { readOnlyHint: true },
      },
      ({ channelId, limit }) =>
        api<MessageDto[]>(call, "GET", `/api/v1/reviews/pending${query({ channel: channelOf(ctx, channelId), limit })}`, undefined, (list) => ({
          reviews: list.map(reviewSummary),
        })),
    );
  }

  server.registerTool(
    "get_iteration_chain",
    {
      title: "Get an iteration chain",
      description:
        "Every version of a piece of work sent with iterationOf, oldest first: each with its text, its review's response and the person's feedback. Takes any messageId of the chain.",
      inputSchema: getIterationChainInput.extend({ channelId }),
      annotations: { readOnlyHint: true },
    },
    ({ messageId, channelId }) =>
      api<IterationChainDto>(
        call,
        "GET",
        `/api/v1/messages/iterations/${encodeURIComponent(messageId)}${query({ channel: channelOf(ctx, channelId) })}`,
        undefined,
        (chain) => ({
          groupId: chain.groupId,
          iterations: chain.iterations.map((m) => ({
            ...summary(m),
            iteration: m.iteration ?? 1,
            reviewStatus: m.review?.status,
            response: m.review?.response,
            feedback: m.review?.feedback ?? null,
          })),
        }),
      ),
  );

  server.registerTool(
    "list_channels",
    {
      title: "List channels",
      description: "The channels (agents) this key may post to, with their status. A channel's id is the channelId of the other tools.",
      inputSchema: listChannelsInput,
      annotations: { readOnlyHint: true },
    },
    () => api<Json[]>(call, "GET", "/api/v1/agents", undefined, (channels) => ({ channels })),
  );

  for (const [name, aliasOf] of [["ping_status"], ["report_status", "ping_status"]] as const) {
    server.registerTool(
      name,
      {
        title: "Report your status",
        description: aliasNote(
          aliasOf,
          "The heartbeat: tell the person how you are doing (active, busy, error or offline), with an optional short message. Shown next to the channel.",
        ),
        inputSchema: pingStatusInput,
      },
      (args) => api<Json>(call, "POST", "/api/v1/status/ping", { json: { ...args, agentId: channelOf(ctx, args.agentId) } }, (agent) => ({ agent })),
    );
  }

  server.registerTool(
    "upload_file",
    {
      title: "Upload a file",
      description:
        "Store a file (base64) in the channel. Without text it is kept for later: pass its id in attachmentIds of send_message or an ask_* tool. With text (or status) it is posted at once as a message carrying the file.",
      inputSchema: uploadFileInput.extend({ channelId }),
    },
    async ({ channelId, filename, mimeType, contentBase64, text, status }) => {
      const bytes = decodeBase64(contentBase64);
      if (!bytes) return failed(400, { message: "contentBase64 is not valid base64" });
      const form = new FormData();
      form.append("file", new File([bytes], filename, { type: mimeType ?? "application/octet-stream" }));
      const channel = channelOf(ctx, channelId);
      if (channel) form.append("channelId", channel);
      if (text !== undefined) form.append("text", text);
      if (status) form.append("status", status);
      if (text === undefined && !status) {
        return api<Json>(call, "POST", "/api/v1/files/store", { form }, (file) => ({
          file,
          next: "Pass file.id in attachmentIds of send_message or an ask_* tool to show it.",
        }));
      }
      return api<UploadedFileDto>(call, "POST", "/api/v1/files/upload", { form }, (uploaded) => summary(uploaded.message));
    },
  );

  registerPlacetTools(server, ctx);
  registerPluginTools(server, ctx);
}
