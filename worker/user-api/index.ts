// The user API at /api: the web app and people, authenticated with the session cookie (or, from a
// script, the same session token as `Authorization: Bearer`: auth/session.ts).
import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../lib/errors";
import { csrf } from "hono/csrf";
import { getCookie } from "hono/cookie";
import { SESSION_COOKIE, sessionAuth } from "../auth/session";
import type { AppEnv } from "../env";
import { galleryRoutes } from "../files/gallery";
import { fileActionRoutes } from "../files/routes";
import { sharedFileRoutes, shareRoutes } from "../files/shares";
import { userAgentRoutes } from "./agents";
import { auditRoutes } from "../audit/routes";
import { answerRoutes } from "./answer";
import { apiKeyRoutes } from "./api-keys";
import { authRoutes } from "./auth";
import { inboxRoutes, userMessageRoutes } from "./messages";
import { notificationRoutes } from "./notifications";
import { preferenceRoutes } from "./preferences";
import { pushRoutes } from "./push";
import { userRoutes } from "./users";

/**
 * Cookie-authenticated form-like posts (no JSON body) must come from our own origin. A request
 * without the session cookie has no authority for another site to borrow: it goes on to the auth
 * check (401) or to a route that takes JSON only (login, setup), which a cross-site form cannot send.
 * A Bearer token is no such authority either: another site cannot make a browser send the header.
 */
const sameOrigin: MiddlewareHandler = async (c, next) => {
  if (getCookie(c, SESSION_COOKIE) === undefined) return next();
  try {
    await csrf()(c, next);
  } catch (err) {
    if (err instanceof HTTPException && err.status === 403) {
      throw new ApiError(403, "Cross-site request refused: send a JSON body, or an Origin header of this site");
    }
    throw err;
  }
};

/** Routes behind the session cookie. A fresh wrapper, so the shared file routes stay unchanged. */
const signedIn = (routes: Hono<AppEnv>) => new Hono<AppEnv>().use(sessionAuth).route("/", routes);

export const userApi = new Hono<AppEnv>()
  .use(sameOrigin)
  .route("/auth", authRoutes)
  .route("/api-keys", signedIn(apiKeyRoutes))
  .route("/agents", signedIn(userAgentRoutes))
  .route("/agents", auditRoutes) // audit/routes.ts: /agents/:id/audit…, behind the session (checked there once)
  .route("/messages", answerRoutes) // the answer: its room checks the session (answer.ts)
  .route("/messages", signedIn(userMessageRoutes))
  .route("/reviews", signedIn(inboxRoutes))
  .route("/files", signedIn(new Hono<AppEnv>().route("/", galleryRoutes).route("/", shareRoutes).route("/", fileActionRoutes)))
  // Share links: public, no session (files/shares.ts).
  .route("/share", sharedFileRoutes)
  .route("/push", signedIn(pushRoutes))
  .route("/preferences", signedIn(preferenceRoutes))
  .route("/notifications", signedIn(notificationRoutes))
  .route("/users", signedIn(userRoutes));
