// The Hono app: the agent API, the user API, the OpenAPI document, the Socket.IO entry, and MCP.
import { Hono } from "hono";
import { agentApi } from "./agent-api";
import { apiKeyAuth, apiKeyCredential } from "./auth/api-key";
import { withDb } from "./db/client";
import type { AppEnv } from "./env";
import { ApiError, handleError } from "./lib/errors";
import { buildOpenApi } from "./lib/openapi";
import { userApi } from "./user-api";
import { docsPage } from "./lib/docs-page";
import { shardFor } from "./gateway/shards";
import { MAX_PAYLOAD_BYTES } from "./gateway/protocol";
import { mcpRoute } from "./mcp";
import { capBody, jsonBodyLimit, mcpBodyLimit } from "./lib/body-limit";
import { answerLinkRoutes } from "./answer-links/routes";

// Answer links (/r/<token>): public pages outside /api, in the OpenAPI document with the rest.
const routes = new Hono<AppEnv>().route("/api/v1", agentApi).route("/api", userApi).route("/r", answerLinkRoutes);

let openApi: ReturnType<typeof buildOpenApi> | undefined;

/** File uploads are capped by their own, larger limit, once the caller is authenticated (files/routes.ts). */
const UPLOAD_ROUTE = /^\/api(\/v1)?\/files\/(store|upload)$/;

/** Everything under /api, as callers from outside reach it and as MCP's tools call it in process. */
const api = new Hono<AppEnv>()
  // Bodies are capped before anything reads them, the unauthenticated routes (login, setup) included.
  .use("/api/*", (c, next) => (UPLOAD_ROUTE.test(c.req.path) ? next() : jsonBodyLimit(c, next)))
  .use("/api/*", withDb)
  .route("/", routes)
  .get("/api/openapi.json", (c) => {
    openApi ??= buildOpenApi(routes);
    return c.json(openApi);
  })
  .get("/api/docs", (c) => c.html(docsPage))
  .all("/api/*", () => {
    throw new ApiError(404, "No such API route");
  })
  .onError(handleError);

export const app = new Hono<AppEnv>()
  .use("/mcp", mcpBodyLimit)
  .use(
    "/socket.io/*",
    capBody(
      () => MAX_PAYLOAD_BYTES,
      (_c, max) => new ApiError(413, `Engine.IO payloads may be at most ${max} bytes`),
    ),
  )
  .route("/", api)
  // Socket.IO: every request of a session goes to the gateway shard its sid names.
  .all("/socket.io/*", (c) => {
    const shard = shardFor(c.env, c.req.query("sid") ?? null);
    const request = new Request(c.req.raw);
    request.headers.set("x-nod-shard", shard);
    return c.env.GATEWAY.get(c.env.GATEWAY.idFromName(shard)).fetch(request);
  })
  // The MCP server (Streamable HTTP), behind the API key: one key lookup and one rate-limit count per
  // request, however many agent-API calls its tools make inside.
  .all("/mcp", apiKeyCredential, apiKeyAuth, mcpRoute(api))
  .onError(handleError);
