// A settled review → the JSON `nod ask` / `nod wait` print on stdout and the exit code that goes with it.
import type { Message } from "../../src/index";
import { EXIT, type ExitCode } from "./exit-codes";

export interface Outcome {
  status: "completed" | "expired";
  messageId: string;
  channelId: string;
  /** The answer: `{selectedOption, comment?}`, `{selectedIds}`, the form's fields, `{text}`, …; null once expired. */
  response: Record<string, unknown> | null;
  feedback: string | null;
  respondedBy: { id: string; displayName: string } | null;
  resolution: string | null;
}

export function outcomeOf(status: "completed" | "expired", message: Message): { outcome: Outcome; exit: ExitCode } {
  const review = message.review;
  const outcome: Outcome = {
    status,
    messageId: message.id,
    channelId: message.channelId,
    response: status === "completed" ? (review?.response ?? null) : null,
    feedback: review?.feedback ?? null,
    respondedBy: review?.respondedBy ?? null,
    resolution: review?.resolution ?? null,
  };
  if (status === "expired") return { outcome, exit: EXIT.expired };
  return { outcome, exit: isRejecting(message) ? EXIT.rejected : EXIT.ok };
}

/** An approval answered with an option styled `danger` (a default `onExpire` answer or a quorum's veto included). */
function isRejecting(message: Message): boolean {
  const review = message.review;
  if (review?.type !== "approval") return false;
  const picked = review.response?.selectedOption;
  const options = (review.payload as { options?: { id: string; style?: string }[] }).options ?? [];
  return options.some((o) => o.id === picked && o.style === "danger");
}
