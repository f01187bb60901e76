// One MCP server for one request. Workers forbid code generation, so JSON Schema checks use the SDK's
// @cfworker/json-schema provider instead of its default (ajv).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker-provider.js";
import type { ToolContext } from "./params";
import { registerTools } from "./tools";

/** A call to the agent API (`/api/v1/...`) with the caller's key: the status and the parsed JSON body. */
export type CallApi = (method: string, path: string, init?: { json?: unknown; form?: FormData }) => Promise<{ status: number; body: unknown }>;

const INSTRUCTIONS = `Nod is a human-in-the-loop inbox: it shows your messages and questions to a person and hands back their answer.
To ask: call send_review_message (or one of ask_approval, ask_selection, ask_form, ask_text, ask_freeform, or a
send_{plugin}_message tool), then call wait_for_review with the messageId it returns. A wait lasts at most 25
seconds; on {"status":"timeout"} call it again (the person may take minutes or hours) until it says "completed"
(the answer is in "response") or "expired" (no answer will come).
Use send_message for updates that need no answer, ping_status for your own status, upload_file to share a file,
get_messages to read the person's replies.
A channel is an agent: channelId may be left out when your key is scoped to one agent (see list_channels) or the
connection names a channel (x-nod-channel header, ?channel= on the URL).`;

export function createMcpServer(ctx: ToolContext): McpServer {
  const server = new McpServer({ name: "nod", version: "0.1.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator(), instructions: INSTRUCTIONS });
  registerTools(server, ctx);
  return server;
}
