// The agent API at /api/v1: scripts and automations, authenticated with an API key.
import { Hono } from "hono";
import { apiKeyAuth } from "../auth/api-key";
import type { AppEnv } from "../env";
import { fileRoutes } from "../files/routes";
import { agentRoutes } from "./agents";
import { hookRoutes } from "./hooks";
import { messageRoutes } from "./messages";
import { pluginRoutes } from "./plugins";

export const agentApi = new Hono<AppEnv>()
  .use(apiKeyAuth)
  .route("/", messageRoutes)
  .route("/", agentRoutes)
  .route("/", pluginRoutes)
  .route("/hooks", hookRoutes)
  .route("/files", fileRoutes);
