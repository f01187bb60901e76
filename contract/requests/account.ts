// Bodies of the people endpoints: setup, sign-in, users, API keys, preferences, push subscriptions.
import { z } from "zod";
import type { PreferencesDto } from "../dto";
import { ROLES, THEMES } from "../enums";
import { LIMITS } from "../limits";
import { idSchema } from "./message";
import { quietHoursSchema } from "./notifications";

const email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
const password = z.string().min(8, "at least 8 characters").max(200);
const displayName = z.string().trim().min(1).max(LIMITS.label);

export const setupBody = z.strictObject({ email, password, displayName });
export const loginBody = z.strictObject({ email, password: z.string().min(1).max(200) });
export const changePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: password });

export const createUserBody = z.strictObject({ email, password, displayName, role: z.enum(ROLES).default("member") });
export const updateUserBody = z
  .strictObject({ displayName: displayName.optional(), role: z.enum(ROLES).optional(), password: password.optional() })
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" });

export const createApiKeyBody = z.strictObject({
  label: z.string().trim().min(1).max(LIMITS.label),
  agentIds: z.array(idSchema).min(1).max(100).optional(),
});

const preferenceFields = {
  theme: z.enum(THEMES),
  inlineHtml: z.boolean(),
  push: z.boolean(),
  quietHours: quietHoursSchema.nullable(),
};
/** Stored preferences, with the defaults of anything never set. */
export const preferencesSchema = z.object({
  theme: preferenceFields.theme.default("system"),
  inlineHtml: preferenceFields.inlineHtml.default(false),
  push: preferenceFields.push.default(false),
  quietHours: preferenceFields.quietHours.default(null),
}) satisfies z.ZodType<PreferencesDto>;
/** A change: only the fields sent (no defaults, or they would overwrite what is stored). */
export const updatePreferencesBody = z.strictObject(preferenceFields).partial();

export const pushSubscribeBody = z.strictObject({
  // Push services are https (RFC 8030); an http endpoint could never receive a notification.
  endpoint: z.url({ protocol: /^https$/, message: "must be an https URL" }).max(LIMITS.url),
  keys: z.strictObject({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(200) }),
  expirationTime: z.number().nullable().optional(),
});
export const pushUnsubscribeBody = z.strictObject({ endpoint: z.string().min(1).max(LIMITS.url) });
