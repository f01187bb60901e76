// The agent API at /api/v1: scripts and automations, authenticated with an API key.
import { Hono } from "hono";
import { apiKeyAuth, apiKeyCredential } from "../auth/api-key";
import type { AppEnv } from "../env";
import { fileRoutes } from "../files/routes";
import { agentRoutes } from "./agents";
import { hookRoutes } from "./hooks";
import { messageRoutes } from "./messages";
import { roomRoutes } from "./room-routes";
import { pluginRoutes } from "./plugins";

export const agentApi = new Hono<AppEnv>()
  .use(apiKeyCredential)
  // The hot paths first: their room checks the key (room/access.ts), so they skip apiKeyAuth's D1 read.
  .route("/", roomRoutes)
  .use(apiKeyAuth)
  .route("/", messageRoutes)
  .route("/", agentRoutes)
  .route("/", pluginRoutes)
  .route("/hooks", hookRoutes)
  .route("/files", fileRoutes);
