// Bodies of the agent endpoints: create/change an agent, the status ping, read markers.
import { z } from "zod";
import { AGENT_STATUSES } from "../enums";
import { LIMITS } from "../limits";
import { idSchema, webhookUrlSchema } from "./message";

const name = z.string().trim().min(1).max(LIMITS.label);
const description = z.string().max(LIMITS.description).nullable();
const avatarUrl = z
  .string()
  .max(LIMITS.url)
  .refine((v) => /^https?:\/\//i.test(v) || /^data:image\/(png|jpeg|gif|webp);base64,/i.test(v), "must be an http(s) or data:image URL")
  .nullable();

/** Messages older than this many days are removed by the hourly clean-up; null keeps them forever. */
const retentionDays = z.number().int().min(1).max(3650).nullable();

export const createAgentBody = z.strictObject({
  name,
  description: description.optional(),
  avatarUrl: avatarUrl.optional(),
  webhookUrl: webhookUrlSchema.nullable().optional(),
  retentionDays: retentionDays.optional(),
});

export const updateAgentBody = createAgentBody.partial().refine((b) => Object.keys(b).length > 0, {
  message: "nothing to update",
});

export const statusPingBody = z.strictObject({
  agentId: idSchema.optional(),
  status: z.enum(AGENT_STATUSES),
  message: z.string().max(LIMITS.description).nullable().optional(),
});

export const markReadBody = z.strictObject({ seq: z.number().int().min(0).optional() });
