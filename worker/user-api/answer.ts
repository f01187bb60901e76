// A person's answer to a review: POST /api/messages/:id/respond. With `?channel=` (the web app sends it) the
// answer goes straight to the channel's room with the session's hash, and the room checks the session and the
// person's access against what it knows (room/access.ts): in the steady state the answer's one D1 round trip is
// its own write. Without it, the session and the message are read here first, as every other route does.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Caller } from "../env";
import { ApiError } from "../lib/errors";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import { channelQuery, respondBody } from "../../contract/requests/message";
import { personOf, sessionCredential, sessionQuery } from "../auth/session";
import { requestOrigin } from "../audit/writer";
import { visibleMessage } from "../services/messages";

/** The session's hash, before anything else is checked (401 without a session). */
const signedInCaller = createMiddleware<AppEnv>(async (c, next) => {
  c.set("caller", { sessionHash: await sessionCredential(c) });
  await next();
});

export const answerRoutes = new Hono<AppEnv>().post(
  "/:id/respond",
  doc("Answer a review, with optional feedback (400 invalid, 409 already answered, 410 expired); `channel` spares a lookup"),
  signedInCaller,
  query(channelQuery),
  jsonBody(respondBody),
  async (c) => {
    const messageId = c.req.param("id");
    const { response, feedback } = c.req.valid("json");
    let caller: Caller = c.get("caller");
    let channelId = c.req.valid("query").channel;
    if (!channelId) {
      const [session] = await sessionQuery(c.var.db, (caller as { sessionHash: string }).sessionHash);
      if (!session) throw new ApiError(401, "Not signed in");
      caller = { principal: personOf(session) };
      // The agent's owner and its members may answer (the room checks the review's own policy: assignees, votes).
      channelId = (await visibleMessage(c.var.db, caller.principal, messageId)).row.channelId;
    }
    const answer = {
      response,
      feedback: feedback || null, // blank feedback is no feedback
      via: "app",
      origin: requestOrigin(c.req.raw.headers),
    } as const;
    return c.json(unwrap(await roomOf(c.env, channelId).respondAs(caller, channelId, messageId, answer)));
  },
);
