// One send_{plugin}_message tool per installed plugin (Placet's dynamic plugin tools): its arguments are the
// plugin's own input fields (its manifest's inputSchema, checked here since the API takes any freeform
// payload), plus the message's text and channel. It posts a freeform review whose payload names the plugin,
// {plugin: name, ...fields}, which is how the web app picks the plugin that renders a review.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MessageDto } from "../../contract/dto";
import { reviewRequest } from "../../contract/requests/review";
import { logError } from "../lib/log";
import { installedPlugins, type Plugin } from "../plugins/registry";
import { channelOf, channelParam, message, type ToolContext } from "./params";
import { api, reviewSummary } from "./results";

const reviewOptions = reviewRequest.options[0].shape;

/** Placet's tool name for a plugin: send_form_submit_message for "form-submit". */
export const pluginToolName = (plugin: Pick<Plugin, "name">) => `send_${plugin.name.replace(/-/g, "_")}_message`;

export function registerPluginTools(server: McpServer, ctx: ToolContext) {
  for (const plugin of installedPlugins()) {
    // The plugin's fields but `plugin` (the tool sets it); the message's own arguments win over a field of the same name.
    const fields = plugin.input.omit({ plugin: true });
    const name = pluginToolName(plugin);
    // A plugin named like a fixed tool ("review" → send_review_message) must not break /mcp: it goes without.
    try {
      server.registerTool(
        name,
        {
          title: `Send a "${plugin.displayName}" message`,
          description: `Post a review rendered by the "${plugin.displayName}" plugin: ${plugin.description}\nThe arguments are the plugin's fields, with text (shown above it) and channelId. Returns the messageId: wait_for_review gets the person's answer.`,
          inputSchema: fields.extend({
            channelId: channelParam(ctx),
            text: message.text.describe("Shown above the plugin, in markdown"),
            expiresInSeconds: reviewOptions.expiresInSeconds.describe("Expire after this many seconds (default 86400, at most 36 h)"),
          }),
        },
        ({ channelId, text, expiresInSeconds, ...data }) =>
          api<MessageDto>(
            ctx.call,
            "POST",
            "/api/v1/messages",
            {
              json: {
                channelId: channelOf(ctx, channelId as string | null | undefined),
                text,
                review: { type: "freeform", payload: { ...data, plugin: plugin.name }, expiresInSeconds },
              },
            },
            (m) => ({ ...reviewSummary(m), plugin: plugin.name, next: "Call wait_for_review with this messageId to get the answer." }),
          ),
      );
    } catch (err) {
      logError("MCP: no tool for plugin, its name is taken", plugin.name, err);
    }
  }
}
