// What a notification says, whichever way it goes: a browser push (push/send.ts) or a person's channel
// (formats/*). Built once per message and recipient; each channel then renders it in its own format.
import type { MessageDto } from "../../contract/dto";
import type { ReviewPriority } from "../../contract/enums";
import { approvalPayload, selectionPayload } from "../../contract/requests/review";
import type { Occasion } from "./rules";

/** A one-tap answer: a button that posts `response` (JSON) to the person's answer link. */
export type NoticeAction = {
  action: string;
  title: string;
  response: { selectedOption: string } | { selectedIds: string[] };
  /** The option is styled `danger` (a rejection): channels that can colour a button do. */
  danger?: boolean;
};

/** Chrome shows at most two actions (Notification.maxActions), ntfy three: a review with more choices gets none. */
const MAX_ACTIONS = 2;
const BODY_CHARS = 240;

/** A review's one-tap answers: an approval's options, or a single-choice selection's items (at most two). */
export function actionsOf(message: MessageDto): NoticeAction[] | undefined {
  const review = message.review;
  if (review?.status !== "pending") return undefined;
  if (review.type === "approval") {
    const parsed = approvalPayload.safeParse(review.payload);
    if (!parsed.success || parsed.data.options.length > MAX_ACTIONS) return undefined;
    return parsed.data.options.map((o) => ({
      action: o.id,
      title: o.label,
      response: { selectedOption: o.id },
      ...(o.style === "danger" ? { danger: true } : {}),
    }));
  }
  if (review.type === "selection") {
    const parsed = selectionPayload.safeParse(review.payload);
    if (!parsed.success || parsed.data.mode !== "single" || parsed.data.items.length > MAX_ACTIONS) return undefined;
    return parsed.data.items.map((i) => ({ action: i.id, title: i.label, response: { selectedIds: [i.id] } }));
  }
  return undefined;
}

/** `text` cut to at most `max` characters, an ellipsis marking a cut (every channel's length limits use it). */
export const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const PREFIXES: Record<Occasion, string | undefined> = { new: undefined, reminder: "Reminder", escalation: "Escalated to you" };

/** The title and the one-line body of a message's notification ("Reminder: Deploy bot", "Deploy v2?"). */
export function headline(agentName: string, message: MessageDto, occasion: Occasion): { title: string; body: string } {
  const prefix = PREFIXES[occasion];
  const text = message.text?.trim().replace(/\s+/g, " ");
  const fallback = message.review ? "asks for your review" : message.attachments.length ? "sent a file" : "sent a message";
  return {
    title: prefix ? `${prefix}: ${agentName}` : agentName,
    body: text ? truncate(text, BODY_CHARS) : fallback,
  };
}

/** A notification for one person's channels (ntfy, Slack, Discord, signed webhook). */
export interface ChannelNotice {
  /** The signed webhook's event type. */
  event: "review:requested" | "message:created" | "notification:test";
  title: string;
  body: string;
  agent: { id: string; name: string } | null;
  occasion: Occasion;
  /** A review's priority (ntfy's priority, the webhook's field); null for a plain message or none set. */
  priority: ReviewPriority | null;
  /** The chat in the web app; null without PUBLIC_URL (a channel cannot open a relative link). */
  chatUrl: string | null;
  /** This person's answer link (absolute): only for a review they may answer. */
  answerUrl: string | null;
  /** One-tap answers, posted as JSON to `answerUrl`. */
  actions: NoticeAction[];
  /** The message as the agent API shows it (the signed webhook carries it). */
  message: MessageDto | null;
  at: string;
}

/** The test notice of Settings' "Send test": no agent, no message, no link. */
export function testNotice(at: string): ChannelNotice {
  return {
    event: "notification:test",
    title: "Nod",
    body: "This channel works: Nod's notifications will arrive here.",
    agent: null,
    occasion: "new",
    priority: null,
    chatUrl: null,
    answerUrl: null,
    actions: [],
    message: null,
    at,
  };
}
