// The Hono app: the agent API, the user API, the OpenAPI document, and the Socket.IO entry.
import { Hono } from "hono";
import { agentApi } from "./agent-api";
import type { AppEnv } from "./env";
import { ApiError, handleError } from "./lib/errors";
import { buildOpenApi } from "./lib/openapi";
import { userApi } from "./user-api";
import { docsPage } from "./lib/docs-page";
import { shardFor } from "./gateway/shards";
import { mcpRoute } from "./mcp";

const api = new Hono<AppEnv>().route("/api/v1", agentApi).route("/api", userApi);

let openApi: ReturnType<typeof buildOpenApi> | undefined;

export const app = new Hono<AppEnv>()
  .route("/", api)
  .get("/api/openapi.json", (c) => c.json((openApi ??= buildOpenApi(api))))
  .get("/api/docs", (c) => c.html(docsPage))
  // Socket.IO: every request of a session goes to the gateway shard its sid names.
  .all("/socket.io/*", (c) => {
    const shard = shardFor(c.env, c.req.query("sid") ?? null);
    const request = new Request(c.req.raw);
    request.headers.set("x-nod-shard", shard);
    return c.env.GATEWAY.get(c.env.GATEWAY.idFromName(shard)).fetch(request);
  })
  .all("/mcp", mcpRoute) // the MCP server (Streamable HTTP), authenticated with an API key
  .all("/api/*", () => {
    throw new ApiError(404, "No such API route");
  })
  .onError(handleError);
