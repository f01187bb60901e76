// Claude Code's hooks: `POST /api/v1/hooks/claude-code?channel=<agent id>&timeout=<seconds>`, the url of an `http`
// hook (docs/api.md, "Claude Code"). A PermissionRequest (or PreToolUse) becomes an Allow/Deny review in the channel
// and the request waits for the person's decision; any other event becomes a plain message, answered with `{}`.
import { Hono } from "hono";
import type { WaitDto } from "../../contract/dto";
import { claudeCodeHookInput, claudeCodeHookQuery, isDecisionEvent, type ClaudeCodeDecisionEvent } from "../../contract/requests/hooks";
import type { AppEnv, Env } from "../env";
import { eventText, hookApproval, hookMetadata, hookOutput, outcomeOf, reviewText, type HookOutcome } from "../hooks/claude-code";
import { logError } from "../lib/log";
import { doc, jsonBody, query } from "../lib/validate";
import { roomOf, unwrap } from "../room";
import { resolveChannel } from "../services/agents";
import { newMessage } from "../services/messages";

/** One parked wait in the room at most: a restart of the room (deploy, eviction) then costs at most this much. */
const POLL_MS = 30_000;
/** After the expiry, how long one look may park: the expiry alarm (or the look itself) settles the review. */
const SETTLE_MS = 250;
/** Past the expiry by this much with the review still unsettled (the room unreachable), the hook gives up: deny. */
const GIVE_UP_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits in the channel's room until the review is answered or expires. The review expires at `expiresAt` (the
 * hook's timeout), so the wait needs no deadline of its own: once that time has passed, a look settles it as
 * expired (the room's wait does so for a due review) even if the expiry alarm has not run yet. Every way out
 * but an answer of "allow" is a deny.
 */
async function decide(env: Env, channelId: string, messageId: string, expiresAt: number, seconds: number): Promise<HookOutcome> {
  const noAnswer: HookOutcome = { decision: "deny", reason: `No answer from a person within ${seconds} s` };
  for (;;) {
    const left = expiresAt - Date.now();
    if (left < -GIVE_UP_MS) return noAnswer;
    // A fresh stub each round: a stub whose room restarted stays broken.
    const waited = await roomOf(env, channelId)
      .wait(channelId, messageId, left > 0 ? Math.min(POLL_MS, left + SETTLE_MS) : SETTLE_MS)
      .catch((err: unknown) => {
        // The room restarted while the wait was parked: nothing is lost, wait again.
        logError("hook wait interrupted", messageId, err);
        return undefined;
      });
    if (!waited) {
      await sleep(SETTLE_MS);
      continue;
    }
    if (waited.status === "gone") return { decision: "deny", reason: "The request was withdrawn in Nod before anyone answered" };
    if (waited.status === "timeout") continue;
    const result = JSON.parse(waited.body) as WaitDto;
    if (result.status === "completed") return outcomeOf(result.message.review?.response, result.message.review?.feedback);
    return noAnswer;
  }
}

export const hookRoutes = new Hono<AppEnv>().post(
  "/claude-code",
  doc(
    "Claude Code's http hook: PermissionRequest and PreToolUse wait for a person's Allow or Deny (until `timeout` seconds, then deny); any other event is posted as a message and answered with {}",
    { responses: { 200: "Claude Code's hook output: hookSpecificOutput with the decision, or {}" } },
  ),
  query(claudeCodeHookQuery),
  jsonBody(claudeCodeHookInput),
  async (c) => {
    const input = c.req.valid("json");
    const q = c.req.valid("query");
    const p = c.get("principal");
    const agent = await resolveChannel(c.var.db, p, q.channel);
    const metadata = hookMetadata(input);
    const event = input.hook_event_name;
    if (!isDecisionEvent(event)) {
      unwrap(await roomOf(c.env, agent.id).post(newMessage(p, agent.id, { text: eventText(input), metadata })));
      return c.json({});
    }
    const expiresAt = new Date(Date.now() + q.timeout * 1000).toISOString();
    const post = newMessage(p, agent.id, {
      text: reviewText(input),
      metadata,
      review: { type: "approval", payload: hookApproval, expiresAt },
      // The same tool use asked twice (a hook listed twice, a retry) is one review, and gets its one answer.
      ...(input.tool_use_id ? { idempotencyKey: `claude-code:${event}:${input.session_id}:${input.tool_use_id}` } : {}),
    });
    const { message } = unwrap(await roomOf(c.env, agent.id).post(post));
    const until = Date.parse(message.review?.expiresAt ?? expiresAt);
    const outcome = await decide(c.env, agent.id, message.id, until, q.timeout);
    return c.json(hookOutput(event as ClaudeCodeDecisionEvent, outcome));
  },
);
