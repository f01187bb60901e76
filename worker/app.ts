// The Hono app: the agent API, the user API, the OpenAPI document, and the Socket.IO entry.
import { Hono } from "hono";
import { agentApi } from "./agent-api";
import type { AppEnv } from "./env";
import { ApiError, handleError } from "./lib/errors";
import { buildOpenApi } from "./lib/openapi";
import { userApi } from "./user-api";
import { docsPage } from "./lib/docs-page";

const api = new Hono<AppEnv>().route("/api/v1", agentApi).route("/api", userApi);

let openApi: ReturnType<typeof buildOpenApi> | undefined;

export const app = new Hono<AppEnv>()
  .route("/", api)
  .get("/api/openapi.json", (c) => c.json((openApi ??= buildOpenApi(api))))
  .get("/api/docs", (c) => c.html(docsPage))
  .all("/socket.io/*", (c) => {
    const shard = c.env.GATEWAY.get(c.env.GATEWAY.idFromName("gw:0"));
    return shard.fetch(c.req.raw);
  })
  .all("/api/*", () => {
    throw new ApiError(404, "No such API route");
  })
  .onError(handleError);
