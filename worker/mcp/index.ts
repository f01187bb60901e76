// The MCP endpoint at /mcp: Streamable HTTP, stateless (a fresh server and transport per request), JSON
// responses. The caller's API key authenticates the endpoint and is then used for every tool call, which
// goes through the app's own /api/v1 routes in process, so each behaviour has one implementation.
import type { Context } from "hono";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// A circular import (app.ts mounts this handler): `app` is only read when a request runs, never while
// the modules load.
import { app } from "../app";
import { assertWithinRateLimit, presentedKey, principalForKey } from "../auth/api-key";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { maxMcpBodyBytes } from "../lib/body-limit";
import { createMcpServer, type CallApi } from "./server";

/** The agent API as the key's owner sees it, called in process through the whole app (errors included). */
function apiWithKey(c: Context<AppEnv>, key: string): CallApi {
  return async (method, path, init = {}) => {
    const headers = new Headers({ "x-api-key": key });
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    } else if (init.form) {
      body = init.form;
    }
    const res = await app.fetch(new Request(new URL(path, c.req.url), { method, headers, body }), c.env, c.executionCtx);
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

export async function mcpRoute(c: Context<AppEnv>): Promise<Response> {
  const key = presentedKey(c.req.raw.headers);
  if (!key) throw new ApiError(401, "Missing API key: send x-api-key or Authorization: Bearer");
  const principal = await principalForKey(c.env, key, c.executionCtx);
  if (!principal) throw new ApiError(401, "Invalid API key");
  await assertWithinRateLimit(c.env, principal);
  // Stateless: no session to resume and nothing to push, so no GET stream and no DELETE.
  if (c.req.method !== "POST") {
    return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: POST JSON-RPC to /mcp" }, id: null }, 405, {
      Allow: "POST",
    });
  }
  const server = createMcpServer(apiWithKey(c, key));
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
}
