// Claude Code's hooks (`POST /api/v1/hooks/claude-code`): the JSON an `http` hook posts, as Claude Code's hooks
// reference documents it. Lenient with fields it does not name (Claude Code adds fields over time), strict on
// the ones Nod uses: every problem is listed in one 400, and nothing is stored.
import { z } from "zod";

/** The events whose hook waits for a person's decision; any other event becomes a plain message. */
export const CLAUDE_CODE_DECISION_EVENTS = ["PermissionRequest", "PreToolUse"] as const;
export type ClaudeCodeDecisionEvent = (typeof CLAUDE_CODE_DECISION_EVENTS)[number];

export const isDecisionEvent = (event: string): event is ClaudeCodeDecisionEvent => (CLAUDE_CODE_DECISION_EVENTS as readonly string[]).includes(event);

/** A file path or session id as Claude Code sends it (bounded, so the message's metadata stays small). */
const path = z.string().max(4096);

/**
 * The hook input. Common to every event: `session_id`, `transcript_path`, `cwd`, `permission_mode` (not on every
 * event) and `hook_event_name`; `PermissionRequest` and `PreToolUse` add `tool_name`, `tool_input` (an object),
 * `tool_use_id` and (PermissionRequest) `permission_suggestions`; `Notification` adds `message`, `title` and
 * `notification_type`; `Stop` adds `stop_hook_active` and `last_assistant_message`. Unknown fields are kept.
 */
export const claudeCodeHookInput = z
  .looseObject({
    session_id: z.string().min(1).max(200),
    transcript_path: path.optional(),
    cwd: path,
    permission_mode: z.string().max(100).optional(),
    hook_event_name: z.string().min(1).max(100),
    tool_name: z.string().min(1).max(200).optional(),
    tool_input: z.record(z.string(), z.unknown()).optional(),
    tool_use_id: z.string().max(200).optional(),
    permission_suggestions: z.array(z.unknown()).optional(),
    message: z.string().optional(),
    title: z.string().optional(),
    notification_type: z.string().max(100).optional(),
    stop_hook_active: z.boolean().optional(),
    last_assistant_message: z.string().optional(),
  })
  // Runs even when a field above is wrong (`when`), so one 400 lists a missing tool_name beside a bad session_id.
  .superRefine(
    (input: unknown, ctx) => {
      if (typeof input !== "object" || input === null || Array.isArray(input)) return;
      const { hook_event_name: event, tool_name, tool_input } = input as Record<string, unknown>;
      if (typeof event !== "string" || !isDecisionEvent(event)) return;
      if (tool_name === undefined) ctx.addIssue({ code: "custom", path: ["tool_name"], message: `required for ${event}` });
      if (tool_input === undefined) ctx.addIssue({ code: "custom", path: ["tool_input"], message: `required for ${event}` });
    },
    { when: () => true },
  );
export type ClaudeCodeHookInput = z.infer<typeof claudeCodeHookInput>;

/** The default wait of a decision hook, and the longest: under the 300 s that Node's fetch (undici) waits for an
 *  answer's headers, as MCP's inline wait (contract/requests/mcp.ts). */
export const HOOK_DEFAULT_WAIT_SECONDS = 55;
export const HOOK_MAX_WAIT_SECONDS = 280;

export const claudeCodeHookQuery = z.object({
  channel: z.string().min(1).max(100).optional(),
  /** Seconds to wait for the person (1 to 280, default 55; larger values are lowered); the review expires then. */
  timeout: z.coerce
    .number()
    .int()
    .min(1)
    .default(HOOK_DEFAULT_WAIT_SECONDS)
    .transform((t) => Math.min(t, HOOK_MAX_WAIT_SECONDS)),
});
