// What each review type is called on screen; a record over contract/enums.ts's REVIEW_TYPES, so a new
// type does not compile until it has a label. Its own module: the inbox shows labels without loading
// the review widgets (and zod).
import type { ReviewType } from "../lib/types";

export const REVIEW_TYPE_LABEL = {
  approval: "Approval",
  selection: "Selection",
  form: "Form",
  "text-input": "Text",
  freeform: "JSON",
} as const satisfies Record<ReviewType, string>;
