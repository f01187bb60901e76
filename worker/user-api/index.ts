// The user API at /api: the web app and people, authenticated with the session cookie.
import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { sessionAuth } from "../auth/session";
import type { AppEnv } from "../env";
import { fileRoutes } from "../files/routes";
import { userAgentRoutes } from "./agents";
import { apiKeyRoutes } from "./api-keys";
import { authRoutes } from "./auth";
import { inboxRoutes, userMessageRoutes } from "./messages";
import { preferenceRoutes } from "./preferences";
import { pushRoutes } from "./push";
import { userRoutes } from "./users";

/** Routes behind the session cookie. A fresh wrapper, so the shared file routes stay unchanged. */
const signedIn = (routes: Hono<AppEnv>) => new Hono<AppEnv>().use(sessionAuth).route("/", routes);

export const userApi = new Hono<AppEnv>()
  // Cookie-authenticated form posts must come from our own origin.
  .use(csrf())
  .route("/auth", authRoutes)
  .route("/api-keys", signedIn(apiKeyRoutes))
  .route("/agents", signedIn(userAgentRoutes))
  .route("/messages", signedIn(userMessageRoutes))
  .route("/reviews", signedIn(inboxRoutes))
  .route("/files", signedIn(fileRoutes))
  .route("/push", signedIn(pushRoutes))
  .route("/preferences", signedIn(preferenceRoutes))
  .route("/users", signedIn(userRoutes));
