// The agent API's hot paths: a post, and the long-poll on a review. They go straight to the channel's room
// with the caller's key hash, and the room checks the key and the channel against what it knows
// (room/access.ts): in the steady state a post costs one D1 round trip (its write) and a wait on a pending
// review none. What needs the agent here first (text attachments to store, people to resolve, a channel
// left out, a wait that names no channel) looks the key up, as every other route does; so does a request about to be
// refused as invalid, so a revoked key hears 401 whatever it sent.
import { Hono, type Context } from "hono";
import type { AppEnv, Caller } from "../env";
import { ApiError, notFound } from "../lib/errors";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import { postMessageBody, waitQuery, type PostMessageBody } from "../../contract/requests/message";
import { resolveChannel } from "../services/agents";
import { membersOf, type Member } from "../services/members";
import { idempotencyKey, ownMessage } from "../services/messages";
import { assertWebhookUrls } from "../webhooks/ssrf";
import { logError } from "../lib/log";
import { releaseUnposted, storeTextFiles } from "../files/store";
import { principalOf } from "../auth/api-key";
import { everyReviewProblem, policyNeedsMembers, reviewOf } from "./review-policy";
import { channelOfMessage, rememberChannel } from "./message-channels";

/** Whether a post needs its agent before the room: the room alone serves the rest. */
const needsAgent = (body: PostMessageBody) => !body.channelId || (body.textAttachments?.length ?? 0) > 0 || (!!body.review && policyNeedsMembers(body.review));

/**
 * The channel a post goes to, who posts, and the agent's people when its review's policy names some: the body's
 * channel and the key's hash, unless the post needs its agent here first (needsAgent).
 */
async function postTarget(c: Context<AppEnv>, body: PostMessageBody): Promise<{ caller: Caller; channelId: string; members: Member[] }> {
  if (!needsAgent(body)) return { caller: c.get("caller"), channelId: body.channelId!, members: [] };
  const principal = await principalOf(c);
  const agent = await resolveChannel(c.var.db, principal, body.channelId);
  const members = body.review && policyNeedsMembers(body.review) ? await membersOf(c.var.db, agent) : [];
  return { caller: { principal }, channelId: agent.id, members };
}

/** The channel a wait goes to, and who asks: the query's channel, or one this isolate has seen the message in, or D1's. */
async function waitTarget(c: Context<AppEnv>, messageId: string, channel: string | undefined): Promise<{ channelId: string; caller: Caller }> {
  const known = channel ?? channelOfMessage(messageId);
  if (known) return { channelId: known, caller: c.get("caller") };
  const principal = await principalOf(c);
  const row = await ownMessage(c.var.db, principal, messageId).catch(() => undefined);
  if (!row?.reviewType) throw notFound("Review");
  rememberChannel(row.id, row.channelId);
  return { channelId: row.channelId, caller: { principal } };
}

export const roomRoutes = new Hono<AppEnv>()
  .post(
    "/messages",
    doc("Send a message, optionally asking for a review", { responses: { 201: "The stored message", 200: "An idempotent replay: the first message" } }),
    everyReviewProblem,
    jsonBody(postMessageBody, { beforeRefusing: principalOf }),
    async (c) => {
      const body = c.req.valid("json");
      assertWebhookUrls(c.env, [
        ["webhookUrl", body.webhookUrl],
        ["review.callback.url", body.review?.callback?.url],
      ]);
      const { caller, channelId, members } = await postTarget(c, body);
      const review = reviewOf(body, members);
      // Stored once every check has passed; what becomes of them if the post fails: releaseUnposted.
      const textFiles = body.textAttachments?.length && "principal" in caller ? await storeTextFiles(c, caller.principal, channelId, body.textAttachments) : [];
      const result = await roomOf(c.env, channelId).postAs(caller, channelId, {
        text: body.text,
        status: body.status,
        metadata: body.metadata ?? undefined,
        webhookUrl: body.webhookUrl ?? undefined,
        review,
        attachmentIds: [...(body.attachmentIds ?? []), ...textFiles.map((f) => f.id)],
        idempotencyKey: idempotencyKey(c.req.header("idempotency-key"), body.clientId ?? undefined),
        iterationOf: body.iterationOf ?? undefined,
        ...(body.streamId && body.streamState ? { stream: { streamId: body.streamId, streamState: body.streamState } } : {}),
      });
      await releaseUnposted(c, textFiles, result);
      const { message, created } = unwrap(result);
      rememberChannel(message.id, message.channelId);
      return c.json(message, created ? 201 : 200);
    },
  )
  .get(
    "/reviews/:id/wait",
    doc("Long-poll until the review is answered or expires, or the timeout passes"),
    query(waitQuery, { beforeRefusing: principalOf }),
    async (c) => {
      const q = c.req.valid("query");
      const messageId = c.req.param("id");
      const { channelId, caller } = await waitTarget(c, messageId, q.channel);
      const result = await roomOf(c.env, channelId)
        .waitAs(caller, channelId, messageId, q.timeout)
        .catch((err: unknown) => {
          // The room restarted (deploy, eviction) while the wait was parked: nothing is lost, wait again.
          logError("wait interrupted", messageId, err);
          throw new ApiError(503, "The wait was interrupted: call it again", [], { "Retry-After": "0" });
        });
      // Whether the message is missing, someone else's, or in another channel, the same 404.
      if ((!result.ok && result.status === 404) || (result.ok && result.value.status === "gone")) throw notFound("Review");
      const wait = unwrap(result);
      return c.body(wait.body, 200, { "content-type": "application/json" });
    },
  );
