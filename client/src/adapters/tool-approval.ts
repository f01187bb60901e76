// A tool call put to a person as a Nod review, shared by the framework adapters. The message shows the tool's
// name and its input as a JSON code block. When the input has top-level text, number or true/false values, the
// review is a form with one field per value (each starting at the value the model chose), an "Approve" button
// (submit) and a "Reject" button (dismiss): the person may change values before approving, and says why they
// reject in the web app's "Feedback for the agent" box. Otherwise it is an approval review, Approve or Reject,
// with a comment. No framework is imported here.
import { type Message, type NodClient, ReviewExpiredError, type SendMessage } from "../index.js";

/** A tool call waiting for a person: the tool's name, its input, and the framework's id for the call. */
export interface ToolCallToApprove {
  toolName: string;
  input: unknown;
  /** The framework's id for this call or approval: the message's `clientId` derives from it, so asking again waits on the same question. */
  id?: string;
}

export interface ToolApprovalOptions {
  /** Offer the input's top-level text, number and true/false values as form fields the person may change (default true). */
  edit?: boolean;
  /** The message's text (markdown); by default the tool's name and its input as a JSON code block. */
  text?: (call: ToolCallToApprove) => string;
  /** The channel (agent id), when the client has no default. */
  channelId?: string;
  /** How long the person has, in seconds (Nod's default is 24 h). */
  expiresInSeconds?: number;
  /** Extra metadata on the message (the adapter adds `toolName` and `toolCallId`). */
  metadata?: Record<string, unknown>;
  /** What a review that expires unanswered means: a rejection (default), or `"throw"` to get the ReviewExpiredError. */
  onExpired?: "reject" | "throw";
  /** Told of every decision, once it is made. */
  onDecision?: (decision: ToolDecision, call: ToolCallToApprove) => void;
  signal?: AbortSignal;
}

/** What the person decided. `input` is the input to run the tool with: the model's, with the person's changes. */
export type ToolDecision =
  | { approved: true; input: unknown; edited: boolean; reason: string | undefined; message: Message }
  | { approved: false; reason: string | undefined; expired: boolean; message: Message };

type Primitive = string | number | boolean;

/** One form field per top-level primitive value the person may change. */
interface EditableValue {
  name: string;
  value: Primitive;
}

const FIELD_NAME = /^[A-Za-z_][\w.-]*$/;
const MAX_FIELDS = 50;
const MAX_TEXT = 32_000;
const APPROVE = "approve";
const REJECT = "reject";

function editableValues(input: unknown): EditableValue[] {
  if (!input || typeof input !== "object" || Array.isArray(input)) return [];
  const out: EditableValue[] = [];
  for (const [name, value] of Object.entries(input)) {
    if (!FIELD_NAME.test(name) || name.length > 100) continue;
    if (typeof value === "string" ? value.length <= MAX_TEXT : typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) {
      out.push({ name, value: value as Primitive });
    }
    if (out.length === MAX_FIELDS) break;
  }
  return out;
}

function formField({ name, value }: EditableValue) {
  const label = name.slice(0, 200);
  if (typeof value === "number") return { name, type: "number" as const, label, required: true, default: value };
  if (typeof value === "boolean") return { name, type: "checkbox" as const, label, default: value };
  return { name, type: value.includes("\n") || value.length > 120 ? ("textarea" as const) : ("text" as const), label, default: value };
}

/** A markdown code fence longer than any run of backticks in the text. */
function codeBlock(text: string, lang: string) {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** A value as a markdown JSON code block (cut past 30,000 characters). */
export function jsonBlock(value: unknown): string {
  return codeBlock(inputJson(value), "json");
}

function inputJson(input: unknown) {
  let json: string;
  try {
    json = JSON.stringify(input, null, 2) ?? String(input);
  } catch {
    json = String(input);
  }
  return json.length > 30_000 ? `${json.slice(0, 30_000)}\n… (cut: ${json.length} characters in all)` : json;
}

/** The message's default text: the tool's name, its input as a code block, and what the buttons do. */
export function toolCallText(call: ToolCallToApprove, editable = editableValues(call.input).length > 0): string {
  const how = editable
    ? "Change any value below if needed, then **Approve** to run it; **Reject** stops it (the feedback box tells the agent why)."
    : "**Approve** to run it; **Reject** stops it (a comment tells the agent why).";
  return `The agent wants to call the tool **${call.toolName.replace(/[*_`[\]\\]/g, "\\$&")}** with this input:\n\n${jsonBlock(call.input)}\n\n${how}`;
}

/** The Nod message that asks about a tool call: a form when there is something to edit, else an approval. */
export function toolApprovalMessage(call: ToolCallToApprove, options: ToolApprovalOptions = {}): SendMessage {
  const values = options.edit === false ? [] : editableValues(call.input);
  const text = (options.text ?? ((c) => toolCallText(c, values.length > 0)))(call);
  const review =
    values.length > 0
      ? { type: "form" as const, payload: { fields: values.map(formField), submitLabel: "Approve", dismissLabel: "Reject" } }
      : {
          type: "approval" as const,
          payload: {
            options: [
              { id: APPROVE, label: "Approve", style: "primary" as const },
              { id: REJECT, label: "Reject", style: "danger" as const },
            ],
            allowComment: true,
          },
        };
  return {
    text,
    review: { ...review, ...(options.expiresInSeconds ? { expiresInSeconds: options.expiresInSeconds } : {}) },
    metadata: { ...options.metadata, toolName: call.toolName, ...(call.id ? { toolCallId: call.id } : {}) },
    ...(options.channelId ? { channelId: options.channelId } : {}),
    ...(call.id ? { clientId: `tool-approval:${call.id}`.slice(0, 200) } : {}),
  };
}

/** The decision an answered review stands for (the message as `wait` returns it). */
export function toolDecision(call: ToolCallToApprove, message: Message, options: Pick<ToolApprovalOptions, "edit"> = {}): ToolDecision {
  const response = (message.review?.response ?? {}) as Record<string, unknown>;
  const feedback = message.review?.feedback ?? undefined;
  if (message.review?.type !== "form") {
    const comment = typeof response.comment === "string" && response.comment.trim() ? response.comment : feedback;
    return response.selectedOption === APPROVE
      ? { approved: true, input: call.input, edited: false, reason: comment, message }
      : { approved: false, reason: comment, expired: false, message };
  }
  if (response._dismissed === true) return { approved: false, reason: feedback, expired: false, message };
  const input = { ...(call.input as Record<string, unknown>) };
  let edited = false;
  for (const { name, value } of options.edit === false ? [] : editableValues(call.input)) {
    // The web app leaves an emptied text field out of the answer: it means "".
    const answered = response[name] ?? (typeof value === "string" ? "" : value);
    if (typeof answered !== typeof value) continue;
    if (answered !== value) edited = true;
    input[name] = answered;
  }
  return { approved: true, input: edited ? input : call.input, edited, reason: feedback, message };
}

/**
 * Asks a person about one tool call and waits for the decision (however long it takes). A review that expires
 * unanswered is a rejection (`expired: true`) unless `onExpired: "throw"`.
 */
export async function askToolApproval(nod: NodClient, call: ToolCallToApprove, options: ToolApprovalOptions = {}): Promise<ToolDecision> {
  const request = toolApprovalMessage(call, options);
  const signal = options.signal ? { signal: options.signal } : {};
  const sent = await nod.send({ ...request, clientId: request.clientId ?? crypto.randomUUID() }, signal);
  let decision: ToolDecision;
  try {
    const { message } = await nod.wait(sent.id, { channelId: sent.channelId, ...signal });
    decision = toolDecision(call, message, options);
  } catch (err) {
    if (!(err instanceof ReviewExpiredError) || options.onExpired === "throw") throw err;
    decision = { approved: false, reason: "No one answered before the review expired.", expired: true, message: err.expired };
  }
  options.onDecision?.(decision, call);
  return decision;
}
