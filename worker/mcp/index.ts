// The MCP endpoint at /mcp: Streamable HTTP, stateless (a fresh server and transport per request), JSON
// responses. app.ts mounts it behind apiKeyCredential and apiKeyAuth, so the caller's key is looked up and counted once per
// request; every tool call then goes through the agent API's own /api/v1 routes in process, as that same
// principal, so each behaviour has one implementation.
import type { Context } from "hono";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { envActingAs } from "../auth/api-key";
import type { AppEnv, Env } from "../env";
import { maxMcpBodyBytes } from "../lib/body-limit";
import { createMcpServer, type CallApi } from "./server";

/** The HTTP API the tools call: app.ts passes its API app in (importing app.ts from here would be a cycle). */
interface Api {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
}

/** The agent API as the caller's principal sees it, called in process through the whole API (errors included). */
function apiAsCaller(api: Api, c: Context<AppEnv>): CallApi {
  const env = envActingAs(c.env, c.get("principal"));
  return async (method, path, init = {}) => {
    const headers = new Headers();
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    } else if (init.form) {
      body = init.form;
    }
    const res = await api.fetch(new Request(new URL(path, c.req.url), { method, headers, body }), env, c.executionCtx);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  };
}

/** The /mcp handler; the caller is authenticated already (app.ts puts apiKeyAuth in front of it). */
export const mcpRoute =
  (api: Api) =>
  async (c: Context<AppEnv>): Promise<Response> => {
    // Stateless: no session to resume and nothing to push, so no GET stream and no DELETE.
    if (c.req.method !== "POST") {
      return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: POST JSON-RPC to /mcp" }, id: null }, 405, {
        Allow: "POST",
      });
    }
    // The connection's channel: tools called without a channelId post there.
    const defaultChannel = c.req.header("x-nod-channel") || c.req.query("channel") || undefined;
    const server = createMcpServer({ call: apiAsCaller(api, c), defaultChannel, signal: c.req.raw.signal });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: maxMcpBodyBytes(c),
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      // With JSON responses the answer is complete once handleRequest resolves.
      await server.close();
    }
  };
