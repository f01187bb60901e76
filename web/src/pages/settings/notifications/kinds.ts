// The channel kinds as Settings shows them, and zod issues (the contract's own schemas) as field errors.
import type { NotificationChannelKind } from "../../../lib/types";

export const KIND_INFO: Record<NotificationChannelKind, { label: string; short: string; placeholder: string; hint: string }> = {
  ntfy: {
    label: "ntfy topic",
    short: "ntfy",
    placeholder: "https://ntfy.sh/my-nod-topic",
    hint: "The topic's URL on ntfy.sh or your own ntfy server. A protected topic also needs an access token (tk_…).",
  },
  slack: {
    label: "Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat)",
    short: "Slack-compatible",
    placeholder: "https://hooks.slack.com/services/…",
    hint: "The incoming webhook URL your Slack, Mattermost or Rocket.Chat workspace gives you.",
  },
  discord: {
    label: "Discord webhook",
    short: "Discord",
    placeholder: "https://discord.com/api/webhooks/…",
    hint: "A channel's webhook URL (Channel settings → Integrations → Webhooks).",
  },
  webhook: {
    label: "Signed webhook",
    short: "Signed webhook",
    placeholder: "https://example.com/nod-notifications",
    hint: "Nod POSTs a JSON event (Standard Webhooks) signed with a secret, shown once when the channel is added.",
  },
};

/** Zod issues by their first path segment (the form field); issues without a path under "form". */
export function issueFields(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.length ? String(issue.path[0]) : "form";
    out[key] ??= issue.message;
  }
  return out;
}

/** A server 400's field errors; an error on no known field (e.g. "(root)") goes under "form". */
export function serverFields(errors: { path: string; message: string }[], known: string[], fallback: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    const key = e.path.split(".").pop() ?? e.path;
    if (known.includes(key)) out[key] ??= e.message;
    else out.form ??= e.message;
  }
  if (Object.keys(out).length === 0) out.form = fallback;
  return out;
}
