// The answer link's page: small, server-rendered HTML with no script at all. Its one stylesheet is inline
// and allowed by its SHA-256 in the CSP, so the policy can be `default-src 'none'`. The message's text is
// rendered as markdown by ./markdown.ts, whose renderer only writes what it allows (raw HTML shown escaped,
// links only http(s)/mailto, no images, headings below the page's h1): the Worker has no DOM sanitizer.
// Controls are a plain <form method="post"> to the page's own URL: a GET only ever shows.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { FieldErrorDto, ReviewDto } from "../../contract/dto";
import { LIMITS } from "../../contract/limits";
import { FORM_FIELD_INPUT_TYPES } from "../../contract/enums";
import { approvalPayload, fieldDefault, formPayload, selectionPayload, textInputPayload, type FormField } from "../../contract/requests/review";
import { base64 } from "../lib/crypto";
import { names } from "../room/policy";
import { messageDto } from "../services/messages";
import { answerRefusal, type OpenLink } from "./tokens";
import { fieldControl, type Submitted } from "./response";
import { renderMarkdown } from "./markdown";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** An ISO time as people read it: "2026-12-08 03:39 UTC". */
const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

const CSS = `:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6470;--bg:#f4f5f7;--card:#fff;--line:#d5d9df;--accent:#2563eb;--danger:#c62828;--ok:#1b7f3b;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa3ad;--bg:#111418;--card:#1a1e24;--line:#343b45;--accent:#6b9bff;--danger:#ef6b6b;--ok:#4cc374;--warn:#e0b341}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
.agent{margin:0;color:var(--muted);font-size:.9rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem 1.25rem;margin:0 0 1rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.notice{border-left:4px solid var(--accent)}
.notice.ok{border-left-color:var(--ok)}
.notice.bad{border-left-color:var(--danger)}
.notice.warn{border-left-color:var(--warn)}
label,.label{display:block;font-weight:600;margin:0 0 .3rem}
.field{margin:0 0 1rem}
.hint{color:var(--muted);font-size:.875rem;margin:.2rem 0 0}
.error{color:var(--danger);font-size:.9rem;margin:.25rem 0 0}
input[type=text],input[type=number],input[type=email],input[type=url],input[type=password],input[type=date],input[type=time],input[type=datetime-local],select,textarea{width:100%;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.5rem .6rem}
input[type=range]{width:100%}
textarea{min-height:6rem;resize:vertical}
textarea.json{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;min-height:10rem}
[aria-invalid=true]{border-color:var(--danger)}
.choice{display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0;font-weight:400}
.choice input{margin-top:.3rem}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:600;padding:0;margin:0 0 .3rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1rem}
button{font:inherit;font-weight:600;border-radius:8px;padding:.55rem 1.1rem;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.danger{background:var(--danger);border-color:var(--danger);color:#fff}
button.ghost{background:transparent;border-color:transparent;text-decoration:underline}
dl{margin:0}dt{font-weight:600}dd{margin:0 0 .5rem;white-space:pre-wrap;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.md{overflow-wrap:anywhere}
.md>:first-child{margin-top:0}
.md>:last-child{margin-bottom:0}
.md p,.md ul,.md ol,.md blockquote,.md pre,.md table,.md hr{margin:0 0 .75rem}
.md ul,.md ol{padding-left:1.5rem}
.md li>p{margin:0}
.md h3,.md h4,.md h5,.md h6{font-size:1rem;margin:1rem 0 .4rem}
.md h3{font-size:1.15rem}
.md blockquote{padding-left:.85rem;border-left:3px solid var(--line);color:var(--muted)}
.md code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:var(--bg);border-radius:4px;padding:.1em .3em}
.md pre{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.6rem .75rem}
.md pre code{background:none;padding:0;border-radius:0}
.md table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto;overflow-wrap:normal}
.md th,.md td{border:1px solid var(--line);padding:.3rem .6rem}
.md hr{border:0;border-top:1px solid var(--line)}
footer{color:var(--muted);font-size:.85rem;margin-top:1.5rem}
a{color:var(--accent)}`;

let cspValue: Promise<string> | undefined;

/** The page's Content-Security-Policy: nothing loads, no script runs, only its own stylesheet applies, the form posts only here. */
export function contentSecurityPolicy(): Promise<string> {
  cspValue ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(CSS)).then((digest) => {
    const hash = base64(new Uint8Array(digest));
    return `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
  });
  return cspValue;
}

function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(CSS)}</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

/** Unknown, tampered and expired links alike: nothing says which. */
export function notFoundPage(): Html {
  return layout(
    "Link not valid · Nod",
    html`<h1>This link is not valid</h1>
<section class="card notice bad"><p class="text">The answer link is unknown or no longer valid: it expires with its review, and ends when the message is withdrawn or you no longer have access to its agent. Open Nod to see the review.</p></section>
<p><a href="/">Open Nod</a></p>`,
  );
}

/** A page that only explains (an unsupported body): no review shown. */
export function messagePage(title: string, text: string): Html {
  return layout(`${title} · Nod`, html`<h1>${title}</h1><section class="card notice bad"><p class="text">${text}</p></section>`);
}

function header(link: OpenLink, title: string): Html {
  return html`<p class="agent">${link.agentName}</p>
<h1>${title}</h1>
${link.row.text ? html`<section class="card md">${raw(renderMarkdown(link.row.text))}</section>` : ""}
${link.files ? html`<p class="hint">The message has ${link.files === 1 ? "a file" : `${link.files} files`} attached: <a href="/chat/${link.row.channelId}">open it in Nod</a> to see ${link.files === 1 ? "it" : "them"}.</p>` : ""}`;
}

function footer(link: OpenLink): Html {
  return html`<footer>This link answers as ${link.person.displayName || "you"}, once. Anyone who has it can, so do not forward it. It expires with the review (${when(link.expiresAt)}). <a href="/chat/${link.row.channelId}">Open in Nod</a></footer>`;
}

// ---- what happened --------------------------------------------------------------------------

function formatValue(v: unknown): string {
  if (v === true) return "yes";
  if (v === false) return "no";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** A response as people read it: the option's label, the items, the text, the form's values. */
export function responseSummary(review: ReviewDto, response: Record<string, unknown> | null): Html {
  if (!response) return html``;
  switch (review.type) {
    case "approval": {
      const p = approvalPayload.safeParse(review.payload);
      const option = p.success ? p.data.options.find((o) => o.id === response.selectedOption) : undefined;
      return html`<p class="text"><strong>${option?.label ?? String(response.selectedOption)}</strong>${typeof response.comment === "string" ? html`<br>${response.comment}` : ""}</p>`;
    }
    case "selection": {
      const p = selectionPayload.safeParse(review.payload);
      const ids = (response.selectedIds as string[] | undefined) ?? [];
      const labels = ids.map((id) => (p.success ? (p.data.items.find((i) => i.id === id)?.label ?? id) : id));
      return html`<p class="text"><strong>${labels.join(", ")}</strong></p>`;
    }
    case "text-input":
      return html`<p class="text">${String(response.text ?? "")}</p>`;
    case "form": {
      if (response._dismissed === true) return html`<p class="text"><strong>Dismissed</strong></p>`;
      const p = formPayload.safeParse(review.payload);
      const fields = p.success ? p.data.fields : [];
      return html`<dl>${Object.entries(response).map(
        ([name, v]) => html`<dt>${fields.find((f) => f.name === name)?.label ?? name}</dt><dd>${formatValue(v)}</dd>`,
      )}</dl>`;
    }
    case "freeform":
      return html`<pre>${JSON.stringify(response, null, 2)}</pre>`;
  }
}

const HOW: Record<string, string> = { app: "in the app", link: "through an answer link", "push-action": "from a notification" };

/** The review's state in words, when the link cannot (or can no longer) answer it. */
function stateCard(link: OpenLink, review: ReviewDto, tone: string, lead?: string): Html {
  const me = link.person.id;
  let what: Html;
  if (review.status === "completed") {
    const by = review.respondedBy?.displayName || "someone";
    const how = review.via ? ` ${HOW[review.via] ?? ""}` : "";
    const at = review.completedAt ? ` at ${when(review.completedAt)}` : "";
    const line =
      review.resolution === "default"
        ? "Nobody answered in time: the review took its default answer."
        : review.resolution === "quorum"
          ? `Decided by ${review.votes.length} vote${review.votes.length === 1 ? "" : "s"}${review.quorumFailed ? " (no option reached the quorum: the leading one won)" : ""}; the deciding vote was ${review.respondedBy?.id === me ? "yours" : `${by}'s`}${how}${at}.`
          : `Answered by ${review.respondedBy?.id === me ? "you" : by}${how}${at}.`;
    what = html`<p class="text">${line}</p>${responseSummary(review, review.response)}${review.feedback ? html`<p class="hint">Feedback: ${review.feedback}</p>` : ""}`;
  } else if (review.status === "expired") {
    what = html`<p class="text">This review expired without an answer.</p>`;
  } else {
    const mine = review.votes.find((v) => v.userId === me);
    if (mine && review.quorum) {
      what = html`<p class="text">Your vote is in (${review.votes.length} of ${review.quorum.count} needed so far). The review waits for the others.</p>${responseSummary(review, mine.response)}`;
    } else if (review.assignees && !review.assignees.some((p) => p.id === me)) {
      what = html`<p class="text">This review is assigned to ${names(review.assignees)}.</p>`;
    } else what = html`<p class="text">Your answer is in.</p>`;
  }
  return html`<section class="card notice ${tone}">${lead ? html`<p class="text"><strong>${lead}</strong></p>` : ""}${what}</section>`;
}

/** The review without controls: what happened to it (answered, by whom, how; expired; your vote). */
export function statePage(link: OpenLink, opts: { title?: string; lead?: string; tone?: "ok" | "bad" | "warn" } = {}): Html {
  const review = messageDto(link.row, [], "person").review!;
  const title = opts.title ?? (review.status === "completed" ? "Answered" : review.status === "expired" ? "Expired" : "Nothing to answer");
  return layout(`${title} · ${link.agentName} · Nod`, html`${header(link, title)}${stateCard(link, review, opts.tone ?? "ok", opts.lead)}${footer(link)}`);
}

// ---- the controls ---------------------------------------------------------------------------

/** Errors by control: `response.x` at its field, the rest at the top. */
function errorsByControl(review: ReviewDto, errors: FieldErrorDto[]) {
  const byControl = new Map<string, string[]>();
  const general: string[] = [];
  const fields = review.type === "form" ? (formPayload.safeParse(review.payload).data?.fields ?? []) : [];
  const add = (key: string, message: string) => byControl.set(key, [...(byControl.get(key) ?? []), message]);
  for (const e of errors) {
    if (e.path === "feedback" || e.path.startsWith("feedback.")) add("feedback", e.message);
    else if (review.type === "freeform" && e.path.startsWith("response")) add("json", e.message);
    else if (review.type === "form") {
      const f = [...fields]
        .sort((a, b) => b.name.length - a.name.length)
        .find((f) => e.path === `response.${f.name}` || e.path.startsWith(`response.${f.name}.`));
      if (f) add(fieldControl(f.name), e.message);
      else general.push(e.message);
    } else {
      const key = e.path.split(".")[1];
      if (key && ["selectedOption", "comment", "selectedIds", "text"].includes(key)) add(key, e.message);
      else general.push(e.path === "response" || e.path === "(root)" ? e.message : `${e.path}: ${e.message}`);
    }
  }
  return { byControl, general };
}

interface Controls {
  values: Submitted;
  errors: Map<string, string[]>;
}

const errorsOf = (c: Controls, key: string) => c.errors.get(key) ?? [];
const errId = (key: string) => `err-${key.replace(/[^\w-]/g, "_")}`;
const ctlId = (key: string) => `c-${key.replace(/[^\w-]/g, "_")}`;
const invalidAttrs = (c: Controls, key: string) => (errorsOf(c, key).length ? raw(` aria-invalid="true" aria-describedby="${errId(key)}"`) : "");
const errorList = (c: Controls, key: string): Html =>
  errorsOf(c, key).length ? html`<p class="error" id="${errId(key)}">${errorsOf(c, key).join("; ")}</p>` : html``;

function feedbackField(c: Controls): Html {
  return html`<div class="field"><label for="${ctlId("feedback")}">Feedback for the agent <span class="hint">(optional)</span></label>
<textarea id="${ctlId("feedback")}" name="feedback" maxlength="${LIMITS.feedback}"${invalidAttrs(c, "feedback")}>${c.values.feedback?.[0] ?? ""}</textarea>${errorList(c, "feedback")}</div>`;
}

function formField(f: FormField, c: Controls): Html {
  const key = fieldControl(f.name);
  const id = ctlId(key);
  const value = c.values[key]?.[0];
  const req = f.required ? raw(" required") : "";
  const hint = html`${f.unit && (f.type === "number" || f.type === "range") ? html`<p class="hint">in ${f.unit}</p>` : ""}${f.description ? html`<p class="hint">${f.description}</p>` : ""}`;
  const label = html`<label for="${id}">${f.label}${f.required ? " *" : ""}</label>`;
  if (f.type === "checkbox") {
    return html`<div class="field"><label class="choice" for="${id}"><input type="checkbox" id="${id}" name="${key}" value="on"${value !== undefined ? raw(" checked") : ""}${req}${invalidAttrs(c, key)}> <span>${f.label}${f.required ? " *" : ""}</span></label>${hint}${errorList(c, key)}</div>`;
  }
  if (f.type === "select") {
    const options = f.options ?? [];
    return html`<div class="field">${label}<select id="${id}" name="${key}"${req}${invalidAttrs(c, key)}>
${!f.required || value === undefined ? html`<option value="">${f.placeholder ?? "Choose…"}</option>` : ""}
${options.map((o) => html`<option value="${o.value}"${o.value === value ? raw(" selected") : ""}>${o.label}</option>`)}
</select>${hint}${errorList(c, key)}</div>`;
  }
  if (f.type === "textarea") {
    return html`<div class="field">${label}<textarea id="${id}" name="${key}"${req}${typeof f.min === "number" ? html` minlength="${f.min}"` : ""}${typeof f.max === "number" ? html` maxlength="${f.max}"` : ""}${f.placeholder ? html` placeholder="${f.placeholder}"` : ""}${invalidAttrs(c, key)}>${value ?? ""}</textarea>${hint}${errorList(c, key)}</div>`;
  }
  const type = FORM_FIELD_INPUT_TYPES[f.type] ?? "text";
  const lengths = ["text", "password"].includes(f.type);
  const bounds = lengths
    ? html`${typeof f.min === "number" ? html` minlength="${f.min}"` : ""}${typeof f.max === "number" ? html` maxlength="${f.max}"` : ""}`
    : html`${f.min !== undefined ? html` min="${String(f.min)}"` : ""}${f.max !== undefined ? html` max="${String(f.max)}"` : ""}${f.step !== undefined ? html` step="${f.step}"` : f.type === "number" ? raw(' step="any"') : ""}`;
  // A password is never sent back to the page.
  const shown = f.type === "password" ? undefined : value;
  return html`<div class="field">${label}<input type="${type}" id="${id}" name="${key}"${shown !== undefined ? html` value="${shown}"` : ""}${req}${bounds}${f.placeholder ? html` placeholder="${f.placeholder}"` : ""}${f.type === "password" ? raw(' autocomplete="new-password"') : ""}${invalidAttrs(c, key)}>${hint}${errorList(c, key)}</div>`;
}

function controls(review: ReviewDto, c: Controls): Html {
  switch (review.type) {
    case "approval": {
      const p = approvalPayload.parse(review.payload);
      const comment = p.allowComment
        ? html`<div class="field"><label for="${ctlId("comment")}">Comment <span class="hint">(optional)</span></label><textarea id="${ctlId("comment")}" name="comment" maxlength="${LIMITS.text}"${invalidAttrs(c, "comment")}>${c.values.comment?.[0] ?? ""}</textarea>${errorList(c, "comment")}</div>`
        : "";
      return html`${comment}${feedbackField(c)}${errorList(c, "selectedOption")}
<div class="actions">${p.options.map((o) => html`<button type="submit" name="selectedOption" value="${o.id}" class="${o.style ?? "secondary"}">${o.label}</button>`)}</div>`;
    }
    case "selection": {
      const p = selectionPayload.parse(review.payload);
      const type = p.mode === "multi" ? "checkbox" : "radio";
      const chosen = new Set(c.values.selectedIds ?? []);
      return html`<fieldset${invalidAttrs(c, "selectedIds")}><legend>${p.mode === "multi" ? "Choose any" : "Choose one"}</legend>
${p.items.map(
  (i, n) =>
    html`<label class="choice" for="${ctlId(`item-${n}`)}"><input type="${type}" id="${ctlId(`item-${n}`)}" name="selectedIds" value="${i.id}"${chosen.has(i.id) ? raw(" checked") : ""}${type === "radio" ? raw(" required") : ""}> <span>${i.label}${i.description ? html`<br><span class="hint">${i.description}</span>` : ""}</span></label>`,
)}${errorList(c, "selectedIds")}</fieldset>
${feedbackField(c)}<div class="actions"><button type="submit" class="primary">Submit</button></div>`;
    }
    case "text-input": {
      const p = textInputPayload.parse(review.payload);
      const value = c.values.text?.[0] ?? p.prefill ?? "";
      return html`<div class="field"><label for="${ctlId("text")}">Your answer</label><textarea id="${ctlId("text")}" name="text"${p.minLength ? html` minlength="${p.minLength}" required` : ""} maxlength="${p.maxLength ?? LIMITS.text}"${p.placeholder ? html` placeholder="${p.placeholder}"` : ""}${invalidAttrs(c, "text")}>${value}</textarea>${errorList(c, "text")}</div>
${feedbackField(c)}<div class="actions"><button type="submit" class="primary">Submit</button></div>`;
    }
    case "form": {
      const p = formPayload.parse(review.payload);
      return html`${p.fields.map((f) => formField(f, c))}${feedbackField(c)}
<div class="actions"><button type="submit" class="primary">${p.submitLabel ?? "Submit"}</button>${p.dismissLabel ? html`<button type="submit" name="_dismiss" value="1" class="ghost" formnovalidate>${p.dismissLabel}</button>` : ""}</div>`;
    }
    case "freeform":
      return html`<div class="field"><label for="${ctlId("json")}">Answer as JSON</label><textarea id="${ctlId("json")}" name="json" class="json" spellcheck="false"${invalidAttrs(c, "json")}>${c.values.json?.[0] ?? "{\n  \n}"}</textarea><p class="hint">A JSON object: { "key": "value" }</p>${errorList(c, "json")}</div>
${feedbackField(c)}<div class="actions"><button type="submit" class="primary">Submit</button></div>`;
  }
}

/** A form review's initial values: each field's default (as the web app starts it). */
function initialValues(review: ReviewDto): Submitted {
  if (review.type !== "form") return {};
  const out: Submitted = {};
  for (const f of formPayload.parse(review.payload).fields) {
    const d = fieldDefault(f);
    if (f.type === "checkbox") {
      if (d === true) out[fieldControl(f.name)] = ["on"];
    } else if (typeof d === "string" || typeof d === "number") out[fieldControl(f.name)] = [String(d)];
  }
  return out;
}

/**
 * The review with its controls, when the link's person may answer it: a fresh form, or (after a 400) the
 * submitted values with every problem next to its control. Otherwise the review's state.
 */
export function reviewPage(link: OpenLink, submitted?: { values: Submitted; errors: FieldErrorDto[] }): Html {
  if (link.spentAt || answerRefusal(link.row, link.person.id)) return statePage(link);
  const review = messageDto(link.row, [], "person").review!;
  const { byControl, general } = errorsByControl(review, submitted?.errors ?? []);
  const c: Controls = { values: submitted?.values ?? initialValues(review), errors: byControl };
  const title = "Your review";
  const summary = submitted?.errors.length
    ? html`<section class="card notice bad" role="alert"><p class="text"><strong>The answer was not sent: ${submitted.errors.length} problem${submitted.errors.length === 1 ? "" : "s"} to fix below.</strong></p>${general.map((m) => html`<p class="error">${m}</p>`)}</section>`
    : "";
  const policy: Html[] = [];
  if (review.quorum)
    policy.push(html`<p class="hint">Your answer is a vote: ${review.quorum.count} matching votes decide (${review.votes.length} so far).</p>`);
  if (review.expiresAt) policy.push(html`<p class="hint">Open until ${when(review.expiresAt)}.</p>`);
  return layout(
    `${link.agentName} asks for your review · Nod`,
    html`${header(link, title)}${summary}
<form method="post" accept-charset="utf-8" class="card">${policy}${controls(review, c)}</form>${footer(link)}`,
  );
}

/** After a good answer: what was recorded. */
export function answeredPage(link: OpenLink, message: { review: ReviewDto | null }): Html {
  const review = message.review!;
  const voted = review.status === "pending";
  const lead = voted ? "Your vote was counted. Thank you." : "Your answer was sent. Thank you.";
  const mine = review.votes.find((v) => v.userId === link.person.id)?.response ?? review.response;
  return layout(
    `Thank you · ${link.agentName} · Nod`,
    html`${header(link, voted ? "Vote counted" : "Answered")}<section class="card notice ok" role="status"><p class="text"><strong>${lead}</strong></p>${responseSummary(review, mine)}${voted && review.quorum ? html`<p class="hint">${review.votes.length} of ${review.quorum.count} votes needed so far.</p>` : ""}</section>${footer(link)}`,
  );
}
