// The five review types: what an agent may ask (payloads) and what a person may answer (responses).
// A response is checked against the payload of its own review, so `responseSchema(review)` builds the
// exact zod schema for one review. The web app's forms use the same functions.
import { z } from "zod";
import { FORM_FIELD_TYPES, REVIEW_PRIORITIES, type ReviewType } from "../enums";
import { jsonBytes } from "../json";
import { LIMITS } from "../limits";

const id = z.string().trim().min(1).max(LIMITS.id);
const label = z.string().trim().min(1).max(LIMITS.label);
const description = z.string().max(LIMITS.description);

function uniqueBy<T>(key: (item: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) ctx.addIssue({ code: "custom", path: [i], message: `duplicate ${what} "${k}"` });
      seen.add(k);
    });
  };
}

// ---- payloads -------------------------------------------------------------------------------

export const approvalPayload = z.object({
  options: z
    .array(z.object({ id, label, style: z.enum(["primary", "danger", "secondary", "ghost"]).optional() }))
    .min(1)
    .max(LIMITS.options)
    .superRefine(uniqueBy((o) => o.id, "option id")),
  allowComment: z.boolean().optional(),
});

export const selectionPayload = z.object({
  mode: z.enum(["single", "multi"]).default("single"),
  items: z
    .array(z.object({ id, label, description: description.optional() }))
    .min(1)
    .max(LIMITS.items)
    .superRefine(uniqueBy((o) => o.id, "item id")),
});

const formField = z
  .object({
    name: z
      .string()
      .min(1)
      .max(LIMITS.id)
      .regex(/^[A-Za-z_][\w.-]*$/, "letters, digits, _ . - and not starting with a digit"),
    type: z.enum(FORM_FIELD_TYPES),
    label,
    required: z.boolean().optional(),
    placeholder: z.string().max(LIMITS.label).optional(),
    // Placet also takes plain strings: "a" is {value: "a", label: "a"}; stored as objects.
    options: z
      .array(z.union([z.object({ value: z.string().max(LIMITS.label), label }), label.transform((value) => ({ value, label: value }))]))
      .min(1)
      .max(LIMITS.items)
      .optional(),
    min: z.union([z.number(), z.string().max(40)]).optional(),
    max: z.union([z.number(), z.string().max(40)]).optional(),
    step: z.number().positive().optional(),
    default: z.unknown().optional(),
    /** Placet's name for `default`; `default` wins when both are given. */
    defaultValue: z.unknown().optional(),
    /** Shown after a number or range input ("ms", "€"). */
    unit: z.string().trim().min(1).max(LIMITS.unit).optional(),
    description: description.optional(),
  })
  .superRefine((f, ctx) => {
    if (f.type === "select" && !f.options) ctx.addIssue({ code: "custom", path: ["options"], message: "a select field needs options" });
    if (typeof f.min === "number" && typeof f.max === "number" && f.min > f.max) {
      ctx.addIssue({ code: "custom", path: ["min"], message: "min is greater than max" });
    }
  });
export type FormField = z.infer<typeof formField>;

export const formPayload = z.object({
  fields: z
    .array(formField)
    .min(1)
    .max(LIMITS.fields)
    .superRefine(uniqueBy((f) => f.name, "field name")),
  submitLabel: z.string().max(LIMITS.label).optional(),
  /** Offers a dismiss button with this label; dismissing answers `{_dismissed: true}`. */
  dismissLabel: z.string().trim().min(1).max(LIMITS.label).optional(),
});

/** What dismissing a form that offers `dismissLabel` answers. */
export const DISMISSED = { _dismissed: true } as const;

/** A form field's initial value: `default`, or Placet's `defaultValue`. */
export const fieldDefault = (f: FormField): unknown => f.default ?? f.defaultValue;

export const textInputPayload = z
  .object({
    placeholder: z.string().max(LIMITS.label).optional(),
    markdown: z.boolean().optional(),
    minLength: z.number().int().min(0).max(LIMITS.text).optional(),
    maxLength: z.number().int().min(1).max(LIMITS.text).optional(),
    prefill: z.string().max(LIMITS.text).optional(),
  })
  .refine((p) => p.minLength === undefined || p.maxLength === undefined || p.minLength <= p.maxLength, {
    path: ["minLength"],
    message: "minLength is greater than maxLength",
  });

export const freeformPayload = z.record(z.string(), z.unknown());

// ---- the review an agent attaches to a message -----------------------------------------------

/** Extra HTTP headers a delivery carries (a review's callback, an agent's webhook): valid names, one-line values. */
export const httpHeaders = z
  .record(
    z
      .string()
      .regex(/^[!#$%&'*+.^_`|~\w-]+$/, "not a header name")
      .max(LIMITS.headerName),
    z
      .string()
      .max(LIMITS.headerValue)
      .regex(/^[^\r\n]*$/, "no line breaks"),
  )
  .refine((h) => Object.keys(h).length <= LIMITS.callbackHeaders, `at most ${LIMITS.callbackHeaders} headers`);

// null means "not given" for each of these (Placet's clients send nulls).
const reviewOptions = {
  expiresInSeconds: z.number().int().positive().nullish(),
  expiresAt: z.iso.datetime({ offset: true }).nullish(),
  callback: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }).max(LIMITS.url),
      method: z.enum(["POST", "PUT", "PATCH"]).optional(),
      headers: httpHeaders.optional(),
    })
    .nullish(),
};

// ---- the review policy (who may answer, votes, what happens when nobody does) ----------------------

/** A person a review names: a user's email or id; the server checks that they are a member of the agent. */
const personRef = z.string().trim().min(1).max(LIMITS.label);
const people = (max: number) =>
  z
    .array(personRef)
    .min(1)
    .max(max)
    .superRefine(uniqueBy((p) => p.toLowerCase(), "person"));

/**
 * Nod's review policy (docs/api.md, "Review policy"). Each is optional; null means "not given". What needs
 * the payload (veto ids, the default answer) is checked by `reviewPolicyIssues`, what needs the database
 * (are they members?) by the server when the review is posted.
 */
const reviewPolicy = {
  /** Who may answer (members of the agent); default: every member. */
  assignees: people(LIMITS.assignees).nullish(),
  /** N-of-M (approval and selection): the first response with `count` identical votes wins; a veto option wins at once. */
  quorum: z
    .strictObject({
      count: z.number().int().min(1).max(LIMITS.members),
      veto: z.array(id).min(1).max(LIMITS.options).optional(),
    })
    .nullish(),
  /** At expiry the review completes with this response instead of expiring. */
  onExpire: z.strictObject({ response: z.unknown() }).nullish(),
  /** Re-notify who has not answered yet, every `everySeconds` (at least 300), at most `max` times. */
  remind: z
    .strictObject({
      everySeconds: z.number().int().min(LIMITS.remindMinSeconds, `at least ${LIMITS.remindMinSeconds} seconds`),
      max: z.number().int().min(1).max(LIMITS.reminders).optional(),
    })
    .nullish(),
  /** After `afterSeconds`, add these members as assignees and notify them. */
  escalate: z.strictObject({ afterSeconds: z.number().int().min(1), to: people(LIMITS.assignees) }).nullish(),
  priority: z.enum(REVIEW_PRIORITIES).nullish(),
};
export type ReviewPolicyRequest = { [K in keyof typeof reviewPolicy]?: z.infer<(typeof reviewPolicy)[K]> };

export const reviewRequest = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("approval"), payload: approvalPayload, ...reviewOptions, ...reviewPolicy }),
  z.strictObject({ type: z.literal("selection"), payload: selectionPayload, ...reviewOptions, ...reviewPolicy }),
  z.strictObject({ type: z.literal("form"), payload: formPayload, ...reviewOptions, ...reviewPolicy }),
  z.strictObject({ type: z.literal("text-input"), payload: textInputPayload, ...reviewOptions, ...reviewPolicy }),
  z.strictObject({ type: z.literal("freeform"), payload: freeformPayload.default({}), ...reviewOptions, ...reviewPolicy }),
]);
export type ReviewRequest = z.infer<typeof reviewRequest>;

export const DEFAULT_EXPIRY_SECONDS = 86_400;
export const MAX_EXPIRY_SECONDS = 36 * 3600;

/** When a review expires: `expiresInSeconds` wins over `expiresAt`; both are capped at 36 h. */
export function reviewExpiry(review: Pick<ReviewRequest, "expiresInSeconds" | "expiresAt">, now = Date.now()): Date {
  const cap = now + MAX_EXPIRY_SECONDS * 1000;
  if (review.expiresInSeconds != null) return new Date(Math.min(now + review.expiresInSeconds * 1000, cap));
  if (review.expiresAt != null) return new Date(Math.min(Date.parse(review.expiresAt), cap));
  return new Date(now + DEFAULT_EXPIRY_SECONDS * 1000);
}

/**
 * The policy rules that need the review's type and payload, as zod issues (paths relative to the review):
 * a quorum only on approval and selection, veto ids that are options, a quorum that the named assignees
 * can reach, a default answer that fits the review. Every rule is checked, so a 400 lists every problem.
 */
export function reviewPolicyIssues(review: ReviewRequest, ctx: z.RefinementCtx) {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const { quorum, assignees, onExpire } = review;
  if (quorum) {
    const choices = choiceIds(review);
    if (!choices) issue(["quorum"], "a quorum needs an approval or selection review");
    quorum.veto?.forEach((v, i) => {
      if (choices && !choices.includes(v)) issue(["quorum", "veto", i], `"${v}" is not one of the review's options: ${choices.join(", ")}`);
    });
    if (assignees && quorum.count > assignees.length) {
      issue(["quorum", "count"], `${quorum.count} votes can never be reached by ${assignees.length} assignee${assignees.length === 1 ? "" : "s"}`);
    }
  }
  if (onExpire) {
    const parsed = responseSchema({ type: review.type, payload: review.payload as Record<string, unknown> }).safeParse(onExpire.response);
    if (!parsed.success) for (const i of parsed.error.issues) issue(["onExpire", "response", ...(i.path as (string | number)[])], i.message);
  }
}

/** The ids a vote chooses among: approval options or selection items (undefined for other types). */
export function choiceIds(review: ReviewRequest): string[] | undefined {
  if (review.type === "approval") return review.payload.options.map((o) => o.id);
  if (review.type === "selection") return review.payload.items.map((i) => i.id);
  return undefined;
}

// ---- responses, built from a review's payload --------------------------------------------------

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

function validCalendar(value: string) {
  return !Number.isNaN(Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value.length <= 12 ? `1970-01-01T${value}Z` : value));
}

/** Inclusive bounds on a string that sorts like the value it spells (dates and times). */
function stringBounds(schema: z.ZodString, field: FormField) {
  return schema.superRefine((v, ctx) => {
    if (typeof field.min === "string" && v < field.min) ctx.addIssue({ code: "custom", message: `must be on or after ${field.min}` });
    if (typeof field.max === "string" && v > field.max) ctx.addIssue({ code: "custom", message: `must be on or before ${field.max}` });
  });
}

function lengthBounds(schema: z.ZodString, field: FormField, required: boolean) {
  let s = schema.max(typeof field.max === "number" ? field.max : LIMITS.text);
  if (typeof field.min === "number") s = s.min(field.min);
  return required ? s.min(1, "required") : s;
}

/** The zod schema for one form field's value. */
export function fieldSchema(field: FormField): z.ZodType {
  const required = field.required === true;
  let schema: z.ZodType;
  switch (field.type) {
    case "text":
    case "textarea":
    case "password":
      schema = lengthBounds(z.string(), field, required);
      break;
    case "email":
      schema = z.email().max(LIMITS.label);
      break;
    case "url":
      schema = z.url({ protocol: /^https?$/ }).max(LIMITS.url);
      break;
    case "number":
    case "range": {
      let n = z.number();
      if (typeof field.min === "number") n = n.min(field.min);
      if (typeof field.max === "number") n = n.max(field.max);
      const { step } = field;
      const base = typeof field.min === "number" ? field.min : 0;
      schema = step ? n.refine((v) => Math.abs((v - base) / step - Math.round((v - base) / step)) < 1e-9, `must be a multiple of ${step}`) : n;
      break;
    }
    case "select": {
      const values = (field.options ?? []).map((o) => o.value);
      schema = z.string().refine((v) => values.includes(v), { message: `must be one of: ${values.join(", ")}` });
      break;
    }
    case "checkbox":
      schema = required ? z.literal(true, { message: "must be checked" }) : z.boolean();
      break;
    case "date":
      schema = stringBounds(z.string().regex(DATE, "must be a date YYYY-MM-DD").refine(validCalendar, "not a real date"), field);
      break;
    case "time":
      schema = stringBounds(z.string().regex(TIME, "must be a time HH:MM").refine(validCalendar, "not a real time"), field);
      break;
    case "datetime":
      schema = stringBounds(z.string().regex(DATETIME, "must be a date and time YYYY-MM-DDTHH:MM").refine(validCalendar, "not a real date and time"), field);
      break;
  }
  return required ? schema : schema.optional();
}

export interface StoredReview {
  type: ReviewType;
  payload: Record<string, unknown>;
}

/** The schema a person's response to this review must satisfy (and at most LIMITS.responseBytes of JSON). */
export function responseSchema(review: StoredReview): z.ZodType {
  return answerSchema(review).refine((answer) => jsonBytes(answer) <= LIMITS.responseBytes, `an answer may be at most ${LIMITS.responseBytes} bytes of JSON`);
}

function answerSchema(review: StoredReview): z.ZodType {
  switch (review.type) {
    case "approval": {
      const p = approvalPayload.parse(review.payload);
      const ids = p.options.map((o) => o.id);
      return z.strictObject({
        selectedOption: z.string().refine((v) => ids.includes(v), { message: `must be one of: ${ids.join(", ")}` }),
        comment: p.allowComment ? z.string().max(LIMITS.text).optional() : z.undefined({ message: "comments are not allowed on this review" }).optional(),
      });
    }
    case "selection": {
      const p = selectionPayload.parse(review.payload);
      const ids = p.items.map((i) => i.id);
      const selected = z
        .array(z.string().refine((v) => ids.includes(v), { message: `must be one of: ${ids.join(", ")}` }))
        .max(ids.length)
        .superRefine(uniqueBy((v) => v, "id"));
      return z.strictObject({
        selectedIds: p.mode === "single" ? selected.length(1, "select exactly one item") : selected.min(1, "select at least one item"),
      });
    }
    case "form": {
      const p = formPayload.parse(review.payload);
      const values = z.strictObject(Object.fromEntries(p.fields.map((f) => [f.name, fieldSchema(f)])));
      return p.dismissLabel ? z.union([z.strictObject({ _dismissed: z.literal(true) }), values]) : values;
    }
    case "text-input": {
      const p = textInputPayload.parse(review.payload);
      return z.strictObject({
        text: z
          .string()
          .min(p.minLength ?? 0)
          .max(p.maxLength ?? LIMITS.text),
      });
    }
    case "freeform":
      return z.record(z.string(), z.unknown());
  }
}

/** Names of the password fields of a form review (their values are never shown back to people). */
export function passwordFields(review: StoredReview): string[] {
  if (review.type !== "form") return [];
  const fields = (review.payload as { fields?: FormField[] }).fields ?? [];
  return fields.filter((f) => f.type === "password").map((f) => f.name);
}
