// Who is told what, and when (docs/api.md, "What is sent when"): a person's level for the agent, then
// their quiet hours. Pure functions of the facts and a clock, so a test can fix the time.
//
// - `all` lets every agent message through; `reviews` only messages that ask for a review; `assigned` only
//   reviews that name the person among their assignees, and an escalation to them (a review open to
//   every member names nobody, so it does not reach `assigned`).
// - Quiet hours hold back everything but reviews marked `urgent`: nothing is queued for later; the inbox
//   and the badge still show it, and a review's reminders come again after the quiet hours.
import type { MessageDto, QuietHoursDto } from "../../contract/dto";
import type { NotifyLevel } from "../../contract/enums";

/** Why this notice is sent: a new message, a review's reminder, or its escalation to the person. */
export type Occasion = "new" | "reminder" | "escalation";

export interface Recipient {
  userId: string;
  level: NotifyLevel;
  quietHours: QuietHoursDto | null;
}

/** Why a notice is not sent to this person now, or null when it is. */
export type HeldBack = "level" | "quiet-hours" | null;

export function heldBack(recipient: Recipient, message: MessageDto, occasion: Occasion, now: Date): HeldBack {
  if (!levelAllows(recipient, message, occasion)) return "level";
  if (recipient.quietHours && message.review?.priority !== "urgent" && inQuietHours(recipient.quietHours, now)) return "quiet-hours";
  return null;
}

function levelAllows({ level, userId }: Recipient, message: MessageDto, occasion: Occasion): boolean {
  if (level === "all") return true;
  const review = message.review;
  if (!review) return false;
  if (level === "reviews") return true;
  return occasion === "escalation" || (review.assignees ?? []).some((p) => p.id === userId);
}

/** Minutes since midnight at `now` on the wall clock of `timeZone`. */
export function minutesOfDay(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute");
}

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Whether `now` falls in the window [from, to) of the person's day; a window with from > to spans midnight. */
export function inQuietHours(quiet: QuietHoursDto, now: Date): boolean {
  const at = minutesOfDay(now, quiet.timeZone);
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  return from < to ? at >= from && at < to : at >= from || at < to;
}
