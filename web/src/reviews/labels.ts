// What each review type is called on screen; a record over contract/enums.ts's REVIEW_TYPES, so a new
// type does not compile until it has a label. Its own module: the inbox shows labels without loading
// the review widgets (and zod).
import type { Review, ReviewType } from "../lib/types";

export const REVIEW_TYPE_LABEL = {
  approval: "Approval",
  selection: "Selection",
  form: "Form",
  "text-input": "Text",
  freeform: "JSON",
} as const satisfies Record<ReviewType, string>;

/** A form the person dismissed (its `dismissLabel` button): answered `{_dismissed: true}` (contract's DISMISSED). */
export const isDismissed = (r: Pick<Review, "status" | "response">) => r.status === "completed" && r.response?._dismissed === true;

/** An iteration's number as the chain shows it: ① … ⑳, then (21), (22), … */
export const iterationMark = (n: number) => (n >= 1 && n <= 20 ? String.fromCodePoint(0x2460 + n - 1) : `(${n})`);
