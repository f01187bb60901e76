// Browser-side validation of answers with the Worker's own zod schemas (contract/requests/review.ts):
// what passes here is exactly what the API accepts.
import {
  approvalPayload,
  DISMISSED,
  fieldDefault,
  fieldSchema,
  formPayload,
  responseSchema,
  selectionPayload,
  textInputPayload,
  type FormField,
} from "../../../contract/requests/review";
import type { Review } from "../lib/types";

export { approvalPayload, DISMISSED, fieldDefault, fieldSchema, formPayload, selectionPayload, textInputPayload, type FormField };

export type Checked = { ok: true; value: Record<string, unknown> } | { ok: false; fields: Record<string, string>; form: string[]; summary: string };

export function validateResponse(review: Pick<Review, "type" | "payload">, value: unknown): Checked {
  const result = responseSchema(review).safeParse(value);
  if (result.success) return { ok: true, value: result.data as Record<string, unknown> };
  const fields: Record<string, string> = {};
  const form: string[] = [];
  for (const issue of result.error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : "";
    if (key && !(key in fields)) fields[key] = issue.message;
    else if (!key) form.push(issue.message);
  }
  const summary = result.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  return { ok: false, fields, form, summary };
}
