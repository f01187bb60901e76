// Bodies of a person's notification settings (docs/api.md, "Notification channels"): their channels
// (ntfy, a Slack-compatible or Discord webhook, a signed webhook), what each agent sends them, and their
// quiet hours. The Worker adds what needs its environment: the SSRF guard and the https rule, at save
// time and again before every send (worker/notify/deliver.ts).
import { z } from "zod";
import type { QuietHoursDto } from "../dto";
import { NOTIFICATION_CHANNEL_KINDS, NOTIFY_LEVELS } from "../enums";
import { LIMITS } from "../limits";

const channelUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(LIMITS.url);
const channelName = z.string().trim().min(1).max(LIMITS.label);
/** An ntfy access token (`tk_…`) or password-less bearer: printable, no spaces. */
const ntfyToken = z.string().regex(/^[\x21-\x7e]{1,500}$/, "must be 1 to 500 printable characters without spaces");

export const createNotificationChannelBody = z
  .strictObject({
    kind: z.enum(NOTIFICATION_CHANNEL_KINDS),
    /** Shown in Settings; defaults to the URL's host. */
    name: channelName.optional(),
    url: channelUrl,
    /** ntfy only: the access token of a protected topic. Write-only: never listed back. */
    token: ntfyToken.optional(),
    enabled: z.boolean().default(true),
  })
  .superRefine((body, ctx) => {
    if (body.token !== undefined && body.kind !== "ntfy") ctx.addIssue({ code: "custom", path: ["token"], message: "only an ntfy channel takes a token" });
    if (body.kind === "ntfy" && topicOf(body.url) === null) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "must name an ntfy topic: https://ntfy.sh/<topic>" });
    }
  });
export type CreateNotificationChannelBody = z.infer<typeof createNotificationChannelBody>;

/** A change: only the fields sent. `token: null` removes an ntfy token. The kind never changes. */
export const updateNotificationChannelBody = z
  .strictObject({ name: channelName, url: channelUrl, token: ntfyToken.nullable(), enabled: z.boolean() })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" });
export type UpdateNotificationChannelBody = z.infer<typeof updateNotificationChannelBody>;

export const notifyLevelBody = z.strictObject({ level: z.enum(NOTIFY_LEVELS) });

/**
 * An ntfy topic URL's parts: the server it publishes to (JSON publishing posts to the server's root) and the
 * topic (the last path segment: letters, digits, `_` and `-`, as ntfy allows). Null when there is no topic.
 */
export function topicOf(url: string): { server: string; topic: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const segments = parsed.pathname.split("/").filter(Boolean);
  const topic = segments.pop();
  if (!topic || !/^[-_A-Za-z0-9]{1,64}$/.test(topic)) return null;
  return { server: `${parsed.origin}/${segments.map((s) => `${s}/`).join("")}`, topic };
}

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day "HH:MM" (00:00 to 23:59)');

/** Whether the runtime knows an IANA time zone (an unknown one makes Intl throw a RangeError). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const quietHoursSchema = z
  .strictObject({
    from: clock,
    to: clock,
    timeZone: z.string().min(1).max(64).refine(isTimeZone, "must be an IANA time zone, such as Europe/Berlin or America/New_York"),
  })
  .refine((q) => q.from !== q.to, { message: "from and to must differ", path: ["to"] }) satisfies z.ZodType<QuietHoursDto>;
