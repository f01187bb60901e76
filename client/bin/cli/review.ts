// `nod ask`'s flags → the review to post. Exactly one kind: --approve (the default), --options, --form, --text.
import { readFileSync } from "node:fs";
import type { ReviewRequest } from "../../src/index";
import { parseDuration } from "./duration";
import { UsageError } from "./exit-codes";

export interface ReviewFlags {
  approve?: boolean;
  options?: string;
  danger?: string[];
  form?: string;
  text?: boolean;
  timeout?: string;
  assignee?: string[];
  quorum?: string;
  priority?: string;
}

/** --approve's two options: Reject is styled danger, so picking it exits 1. */
export const APPROVE_OPTIONS = [
  { id: "approve", label: "Approve", style: "primary" },
  { id: "reject", label: "Reject", style: "danger" },
] as const;

export function reviewFromFlags(flags: ReviewFlags): ReviewRequest {
  const kinds = (["approve", "options", "form", "text"] as const).filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (kinds.length > 1) throw new UsageError(`choose one of --approve, --options, --form, --text (got ${kinds.map((k) => `--${k}`).join(", ")})`, "ask");
  if (flags.danger?.length && !flags.options) throw new UsageError("--danger marks options of --options", "ask");
  return { ...kind(kinds[0] ?? "approve", flags), ...policy(flags) } as ReviewRequest;
}

function kind(which: "approve" | "options" | "form" | "text", flags: ReviewFlags) {
  switch (which) {
    case "approve":
      return { type: "approval", payload: { options: APPROVE_OPTIONS, allowComment: true } };
    case "options":
      return { type: "approval", payload: { options: optionsFrom(flags.options!, flags.danger ?? []), allowComment: true } };
    case "form":
      return { type: "form", payload: formFrom(flags.form!) };
    case "text":
      return { type: "text-input", payload: {} };
  }
}

/** "Deploy,Skip,Roll back" → options whose ids are the labels (what the answer names); --danger ids are rejecting. */
function optionsFrom(list: string, danger: string[]) {
  const labels = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (labels.length === 0) throw new UsageError("--options needs at least one option, like --options deploy,skip", "ask");
  const unknown = danger.filter((d) => !labels.includes(d));
  if (unknown.length) throw new UsageError(`--danger ${unknown.join(", ")} is not one of --options ${labels.join(",")}`, "ask");
  return labels.map((label) => ({ id: label, label, ...(danger.includes(label) ? { style: "danger" } : {}) }));
}

/** --form file.json: the form's `fields` array, or the whole payload `{fields, submitLabel?}`; `-` reads stdin. */
function formFrom(path: string) {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    throw new UsageError(`--form: cannot read ${path}: ${(err as Error).message}`, "ask");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--form: ${path} is not JSON: ${(err as Error).message}`, "ask");
  }
  if (Array.isArray(json)) return { fields: json };
  if (json && typeof json === "object" && Array.isArray((json as { fields?: unknown }).fields)) return json;
  throw new UsageError(`--form: ${path} must hold an array of fields or an object with "fields"`, "ask");
}

function policy(flags: ReviewFlags) {
  const out: Record<string, unknown> = {};
  if (flags.timeout !== undefined) out.expiresInSeconds = parseDuration(flags.timeout);
  if (flags.assignee?.length) out.assignees = flags.assignee;
  if (flags.quorum !== undefined) {
    const count = Number(flags.quorum);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--quorum must be a whole number of votes, not "${flags.quorum}"`, "ask");
    out.quorum = { count };
  }
  if (flags.priority !== undefined) out.priority = flags.priority;
  return out;
}
