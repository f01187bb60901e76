// Claude Code's hooks as Nod messages: the review a permission request becomes (the tool and its input as
// markdown: a Bash command as a sh block, an edit as a diff, anything else as JSON), the plain message any other
// event becomes, and the decision Claude Code reads back. Pure functions; the route is agent-api/hooks.ts.
import type { ClaudeCodeHookOutput } from "../../contract/dto";
import type { ClaudeCodeDecisionEvent, ClaudeCodeHookInput } from "../../contract/requests/hooks";
import { LIMITS } from "../../contract/limits";

/** The approval a decision hook asks: Allow or Deny, with room for a reason. */
export const ALLOW = "allow";
export const DENY = "deny";
export const hookApproval = {
  options: [
    { id: ALLOW, label: "Allow", style: "primary" as const },
    { id: DENY, label: "Deny", style: "danger" as const },
  ],
  allowComment: true,
};

/** Room for the tool's input in a message's text: the heading and the small print (paths of up to 4096
 *  characters, a description) take the rest of LIMITS.text. */
const BODY_CHARS = 12_000;
const LINE_CHARS = 2_000;

/** `s`, or its first `max` characters and how many were left out. */
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}\n… (${s.length - max} more characters not shown)`;
}

/** The longest run of backticks in `s` (0 if none): a fence or inline code must be longer to hold `s`. */
const longestBackticks = (s: string): number => Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));

/** A fenced code block that no run of backticks inside `body` can close early. */
export function fenced(lang: string, body: string): string {
  const longest = longestBackticks(body);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body.endsWith("\n") ? body : `${body}\n`}${fence}`;
}

/** Inline code that no backtick inside `s` can end early; one line. */
export function code(s: string): string {
  const line = s.replace(/[\r\n]+/g, " ");
  const longest = longestBackticks(line);
  const ticks = "`".repeat(longest + 1);
  return line.startsWith("`") || line.endsWith("`") ? `${ticks} ${line} ${ticks}` : `${ticks}${line}${ticks}`;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const lines = (s: string, sign: "-" | "+") => s.split("\n").map((l) => `${sign}${l}`);

/** One edit as diff lines: the old text removed, the new text added. */
function hunk(oldText: string, newText: string, budget: number): string[] {
  const half = Math.floor(budget / 2);
  return [...lines(clip(oldText, half), "-"), ...lines(clip(newText, half), "+")];
}

/** The tool and its input as markdown: a heading, then the input in the block that reads best. */
export function toolMarkdown(toolName: string, input: Record<string, unknown>): string {
  const file = str(input.file_path) ?? str(input.notebook_path);
  if (toolName === "Bash" && str(input.command) !== undefined) {
    const description = str(input.description);
    return [
      `**Claude Code wants to run a command**`,
      ...(description ? [clip(description, LINE_CHARS)] : []),
      fenced("sh", clip(str(input.command)!, BODY_CHARS)),
    ].join("\n\n");
  }
  if (toolName === "Edit" && file && str(input.old_string) !== undefined && str(input.new_string) !== undefined) {
    const all = input.replace_all === true ? " (every occurrence)" : "";
    const diff = [`--- ${file}`, `+++ ${file}`, ...hunk(str(input.old_string)!, str(input.new_string)!, BODY_CHARS)];
    return [`**Claude Code wants to edit ${code(file)}**${all}`, fenced("diff", diff.join("\n"))].join("\n\n");
  }
  if (toolName === "MultiEdit" && file && Array.isArray(input.edits)) {
    const edits = input.edits.filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null);
    const budget = BODY_CHARS / Math.max(1, edits.length);
    const diff = [`--- ${file}`, `+++ ${file}`];
    edits.forEach((e, i) => {
      diff.push(
        `@@ edit ${i + 1} of ${edits.length}${e.replace_all === true ? ", every occurrence" : ""} @@`,
        ...hunk(str(e.old_string) ?? "", str(e.new_string) ?? "", budget),
      );
    });
    return [`**Claude Code wants to edit ${code(file)}** (${edits.length} ${edits.length === 1 ? "edit" : "edits"})`, fenced("diff", diff.join("\n"))].join(
      "\n\n",
    );
  }
  if (toolName === "Write" && file && str(input.content) !== undefined) {
    const diff = ["--- /dev/null", `+++ ${file}`, ...lines(clip(str(input.content)!, BODY_CHARS), "+")];
    return [`**Claude Code wants to write ${code(file)}**`, fenced("diff", diff.join("\n"))].join("\n\n");
  }
  return [`**Claude Code wants to use ${code(toolName)}**`, fenced("json", clip(JSON.stringify(input, null, 2), BODY_CHARS))].join("\n\n");
}

/** Where it happens, in small print under the message. */
function smallPrint(input: ClaudeCodeHookInput): string {
  const parts = [`in ${code(input.cwd)}`, `session ${code(input.session_id)}`, input.hook_event_name];
  if (input.permission_mode) parts.push(`mode ${input.permission_mode}`);
  return `<small>${parts.join(" · ")}</small>`;
}

/** At most LIMITS.text characters, whatever the input held (a cut block still renders, unclosed). */
const withinLimit = (text: string) => (text.length <= LIMITS.text ? text : `${text.slice(0, LIMITS.text - 40)}\n… (cut)`);

/** The review's text for a decision event. */
export function reviewText(input: ClaudeCodeHookInput): string {
  return withinLimit(`${toolMarkdown(input.tool_name ?? "", input.tool_input ?? {})}\n\n${smallPrint(input)}`);
}

/** The plain message any other event becomes: a notification's own text, "stopped", or the event's name. */
export function eventText(input: ClaudeCodeHookInput): string {
  const session = code(input.session_id);
  let head: string;
  if (input.hook_event_name === "Notification" && input.message?.trim()) {
    const title = input.title?.trim() ? `**${clip(input.title.trim(), LINE_CHARS)}**\n\n` : "";
    head = `${title}${clip(input.message.trim(), BODY_CHARS)}`;
  } else if (input.hook_event_name === "Stop") {
    head = `Claude Code stopped (session ${session})`;
  } else if (input.hook_event_name === "SubagentStop") {
    head = `A Claude Code subagent stopped (session ${session})`;
  } else {
    head = `Claude Code: ${input.hook_event_name}${input.tool_name ? ` ${code(input.tool_name)}` : ""} (session ${session})`;
  }
  return withinLimit(`${head}\n\n${smallPrint(input)}`);
}

/** What the message carries for agents and the web app: where it came from and the hook's own fields. */
export function hookMetadata(input: ClaudeCodeHookInput): Record<string, unknown> {
  const fields = {
    source: "claude-code",
    hook_event_name: input.hook_event_name,
    session_id: input.session_id,
    cwd: input.cwd,
    tool_name: input.tool_name,
    tool_use_id: input.tool_use_id,
    permission_mode: input.permission_mode,
    notification_type: input.notification_type,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** How a decision hook ended. */
export type HookOutcome = { decision: "allow" } | { decision: "deny"; reason: string };

/** The person's answer as a decision: only an answer of "allow" allows; a deny carries their comment, or a default. */
export function outcomeOf(response: unknown, feedback: string | null | undefined): HookOutcome {
  const r = (typeof response === "object" && response !== null ? response : {}) as { selectedOption?: unknown; comment?: unknown };
  if (r.selectedOption === ALLOW) return { decision: "allow" };
  const reason = [str(r.comment)?.trim(), feedback?.trim()].find((s) => s);
  return { decision: "deny", reason: reason ?? "Denied by a person in Nod" };
}

/** Claude Code's output for the event (hooks reference: PermissionRequest and PreToolUse decision control). */
export function hookOutput(event: ClaudeCodeDecisionEvent, outcome: HookOutcome): ClaudeCodeHookOutput {
  if (event === "PreToolUse") {
    return {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: outcome.decision,
        permissionDecisionReason: outcome.decision === "allow" ? "Allowed by a person in Nod" : outcome.reason,
      },
    };
  }
  return {
    hookSpecificOutput: {
      hookEventName: "PermissionRequest",
      decision: outcome.decision === "allow" ? { behavior: "allow" } : { behavior: "deny", message: outcome.reason },
    },
  };
}
