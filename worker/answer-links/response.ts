// An answer link's form, turned into the review's response (the shape the respond API takes), and the
// problems found on the way, each at the form control it belongs to.
import { z } from "zod";
import type { FieldErrorDto } from "../../contract/dto";
import { LIMITS } from "../../contract/limits";
import { formPayload, responseSchema, selectionPayload, type StoredReview } from "../../contract/requests/review";
import { zodErrors } from "../lib/errors";

/** What the page's form sent: every value of each name, as text (a file sent instead is ignored). */
export type Submitted = Record<string, string[]>;

/** A form field's control name: prefixed, so no field name meets the page's own (feedback, comment). */
export const fieldControl = (name: string) => `f.${name}`;

/** The body of a POST /r/:token as the form sent it (urlencoded or multipart), every value kept. */
export function submittedOf(body: Record<string, unknown>): Submitted {
  const out: Submitted = {};
  for (const [name, value] of Object.entries(body)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
    // Browsers send a textarea's line breaks as CRLF; the app (and the length limits) count LF.
    out[name] = values.map((v) => v.replace(/\r\n?/g, "\n"));
  }
  return out;
}

const first = (s: Submitted, name: string) => s[name]?.[0];

export interface Converted {
  response: unknown;
  feedback: string | null;
  /** Problems, as the API names them: `response.<path>` and `feedback`. */
  errors: FieldErrorDto[];
}

const feedbackSchema = z.string().trim().max(LIMITS.feedback);

/**
 * The response a submitted form stands for, checked against the review (the same zod schema the room
 * checks it with), with messages people understand where the raw one would not: a required field left
 * empty, a number that is not one, text that is not JSON.
 */
export function responseFromForm(review: StoredReview, s: Submitted): Converted {
  const own: FieldErrorDto[] = [];
  const replaced = new Set<string>();
  const mine = (path: string, message: string) => {
    own.push({ path, message, code: "invalid" });
    replaced.add(path);
  };
  let response: unknown;
  switch (review.type) {
    case "approval": {
      const selectedOption = first(s, "selectedOption");
      const comment = first(s, "comment")?.trim();
      response = { ...(selectedOption !== undefined ? { selectedOption } : {}), ...(comment ? { comment } : {}) };
      if (selectedOption === undefined) mine("response.selectedOption", "Choose one of the options");
      break;
    }
    case "selection": {
      const ids = s.selectedIds ?? [];
      response = { selectedIds: ids };
      if (ids.length === 0) {
        const single = selectionPayload.parse(review.payload).mode === "single";
        mine("response.selectedIds", single ? "Choose one" : "Choose at least one");
      }
      break;
    }
    case "text-input":
      response = { text: first(s, "text") ?? "" };
      break;
    case "form": {
      const payload = formPayload.parse(review.payload);
      if (payload.dismissLabel && first(s, "_dismiss") !== undefined) {
        response = { _dismissed: true };
        break;
      }
      const values: Record<string, unknown> = {};
      for (const f of payload.fields) {
        const raw = first(s, fieldControl(f.name));
        const path = `response.${f.name}`;
        if (f.type === "checkbox") values[f.name] = raw !== undefined;
        else if (raw === undefined || raw.trim() === "") {
          if (f.required) mine(path, "This field is required");
        } else if (f.type === "number" || f.type === "range") {
          const n = Number(raw);
          if (Number.isFinite(n)) values[f.name] = n;
          else {
            values[f.name] = raw;
            mine(path, "must be a number");
          }
        } else values[f.name] = raw;
      }
      response = values;
      break;
    }
    case "freeform": {
      const text = first(s, "json")?.trim() ?? "";
      try {
        response = JSON.parse(text || "{}");
        if (typeof response !== "object" || response === null || Array.isArray(response)) mine("response", "The answer must be a JSON object: { … }");
      } catch (err) {
        response = undefined;
        mine("response", `Not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      break;
    }
  }
  const fb = feedbackSchema.safeParse(first(s, "feedback") ?? "");
  const errors = [...own];
  if (!fb.success) errors.push(...zodErrors(fb.error, "feedback"));
  // A form that offers dismissing checks its values without the dismiss alternative: each field's own error, not the union's.
  const dismissed = review.type === "form" && (response as Record<string, unknown> | undefined)?._dismissed === true;
  const schema =
    review.type === "form" && !dismissed ? responseSchema({ type: "form", payload: { ...review.payload, dismissLabel: undefined } }) : responseSchema(review);
  const checked = schema.safeParse(response);
  if (!checked.success) {
    // Zod's word for a path we already explained (or one inside it) gives way to ours.
    for (const e of zodErrors(checked.error, "response")) {
      if (![...replaced].some((p) => e.path === p || e.path.startsWith(`${p}.`) || (p === "response" && e.path.startsWith("response")))) errors.push(e);
    }
  }
  return { response, feedback: fb.success ? fb.data || null : null, errors };
}
