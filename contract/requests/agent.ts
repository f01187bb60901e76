// Bodies of the agent endpoints: create/change an agent, the status ping, read markers.
import { z } from "zod";
import { AGENT_STATUSES } from "../enums";
import { LIMITS } from "../limits";
import { idSchema, webhookUrlSchema } from "./message";
import { httpHeaders } from "./review";

const name = z.string().trim().min(1).max(LIMITS.label);
const description = z.string().max(LIMITS.description).nullable();
const avatarUrl = z
  .string()
  .max(LIMITS.url)
  .refine((v) => /^https?:\/\//i.test(v) || /^data:image\/(png|jpeg|gif|webp);base64,/i.test(v), "must be an http(s) or data:image URL")
  .nullable();

/** Messages older than this many days are removed by the hourly clean-up; null keeps them forever. */
const retentionDays = z.number().int().min(1).max(3650).nullable();

/** Groups agents in the sidebar; null or "" removes it. */
const tag = z
  .string()
  .trim()
  .max(LIMITS.tag)
  .nullable()
  .transform((t) => t || null);

/** Headers a webhook delivery must set itself: an agent's own headers may not replace them. */
const RESERVED_WEBHOOK_HEADERS = /^(host|content-length|content-type|transfer-encoding|connection|authorization|webhook-.*)$/i;

/** An agent's webhook headers: valid names and values, and none that would break the delivery. */
export const webhookHeaders = httpHeaders.superRefine(
  (headers, ctx) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      if (RESERVED_WEBHOOK_HEADERS.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is set by the delivery itself` });
      // Header names are case-insensitive: two spellings of one would be sent joined ("a, b").
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is given twice` });
      seen.add(name.toLowerCase());
    }
  },
  // Also when another header is malformed, so one 400 lists every problem.
  { when: (payload) => typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value) },
);

/** HTTP basic auth of an agent's webhook deliveries; the password is write-only. */
export const webhookAuth = z.strictObject({
  username: z
    .string()
    .min(1)
    .max(LIMITS.label)
    .regex(/^[^:\r\n]*$/, "no colon or line breaks"),
  password: z
    .string()
    .max(LIMITS.label)
    .regex(/^[^\r\n]*$/, "no line breaks"),
});

export const createAgentBody = z.strictObject({
  name,
  description: description.optional(),
  avatarUrl: avatarUrl.optional(),
  webhookUrl: webhookUrlSchema.nullable().optional(),
  retentionDays: retentionDays.optional(),
  tag: tag.optional(),
});

/** The owner's edit of the webhook auth: without a password the stored one is kept (forms never see it). */
export const webhookAuthEdit = webhookAuth.extend({ password: webhookAuth.shape.password.optional() });

/** A change of an agent: any field of createAgentBody, and the webhook's headers and auth (null removes them). */
export const updateAgentBody = createAgentBody
  .partial()
  .extend({ webhookHeaders: webhookHeaders.nullable().optional(), webhookAuth: webhookAuthEdit.nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, {
    message: "nothing to update",
  });

/** `PUT /api/v1/agents/:id/commands`: the whole list, replacing the last one. */
export const agentCommandsBody = z
  .array(
    z.strictObject({
      command: z
        .string()
        .regex(/^\/?[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, _ and -, at most 32, e.g. deploy")
        .transform((c) => c.replace(/^\//, "")),
      description: z.string().trim().min(1).max(LIMITS.label),
      // Stored complete (false and null when not given): the list every reader sees.
      acceptsArgs: z
        .boolean()
        .nullish()
        .transform((v) => v ?? false),
      argHint: z
        .string()
        .trim()
        .min(1)
        .max(LIMITS.label)
        .nullish()
        .transform((v) => v ?? null),
    }),
  )
  .max(LIMITS.commands)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.command)) ctx.addIssue({ code: "custom", path: [i, "command"], message: `duplicate command "${c.command}"` });
      seen.add(c.command);
    });
  });

/** `POST /api/v1/agents/setTag`. */
export const setTagBody = z.strictObject({ channelId: idSchema, tag });

/** `POST /api/v1/agents/setWebhook`: replaces the agent's webhook, its headers and its auth. */
export const setWebhookBody = z.strictObject({
  channelId: idSchema,
  url: webhookUrlSchema,
  headers: webhookHeaders.nullish(),
  auth: webhookAuth.nullish(),
});

/** `POST /api/v1/agents/deleteWebhook`. */
export const deleteWebhookBody = z.strictObject({ channelId: idSchema });

export const statusPingBody = z.strictObject({
  agentId: idSchema.optional(),
  status: z.enum(AGENT_STATUSES),
  message: z.string().max(LIMITS.description).nullable().optional(),
});

export const markReadBody = z.strictObject({ seq: z.number().int().min(0).optional() });

/** `GET /api/agents/:id/status-history`: how many status reports, newest first (query integers arrive as strings). */
export const statusHistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** `POST|DELETE /api/agents/:id/members`: a person (user id or email) who may see the agent and answer its reviews. */
export const memberBody = z.strictObject({ userId: z.string().trim().min(1).max(LIMITS.label) });

/** `GET /api/agents/:id/audit`: one page of the audit log, oldest first, after `cursor` (an entry's seq); `messageId`: one review's trail. */
export const auditQuery = z.object({
  messageId: idSchema.optional(),
  cursor: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.auditPage).default(100),
});
