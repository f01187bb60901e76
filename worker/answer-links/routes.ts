// Answer links over HTTP. `POST /api/messages/:id/answer-link` (session) gives the caller a link to a
// review they may answer; `GET /r/:token` shows it without a session; only `POST /r/:token` answers.
//
// CSRF: the POST carries no cookie and needs none; the token in its URL is its whole authority. Another
// site can make a browser post to it only if it already holds the token, and then it could answer as its
// person anyway; it can never read the page it gets back. Link scanners and previews only GET: a GET never
// answers. See docs/api.md, "Answer links".
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { AnswerLinkDto, FieldErrorDto, MessageDto } from "../../contract/dto";
import { answerLinkBody } from "../../contract/requests/message";
import { requestOrigin } from "../audit/writer";
import { withDb } from "../db/client";
import type { AppEnv } from "../env";
import { jsonBodyLimit } from "../lib/body-limit";
import { ApiError, zodErrors } from "../lib/errors";
import { doc } from "../lib/validate";
import { roomOf } from "../room";
import type { Answer } from "../room/types";
import { visibleMessage } from "../services/messages";
import { answeredPage, contentSecurityPolicy, messagePage, notFoundPage, reviewPage, statePage } from "./page";
import { responseFromForm, submittedOf, type Submitted } from "./response";
import { answerRefusal, linkExpiry, mintAnswerLink, openAnswerLink, spendAnswerLinks, type OpenLink } from "./tokens";

/** `POST /api/messages/:id/answer-link`, behind the session (user-api/messages.ts mounts it). */
export const answerLinkRequestRoutes = new Hono<AppEnv>().post(
  "/:id/answer-link",
  doc("A link that shows this pending review to you without a session, and answers it as you from that page (`/r/<token>`)", {
    responses: {
      201: "`{url, expiresAt}`: the link, which expires with the review",
      403: "The review is assigned to others",
      404: "No such message of an agent you own or are a member of, or it has no review",
      409: "Already answered (or you voted already)",
      410: "Expired",
    },
  }),
  async (c) => {
    const p = c.get("principal");
    const d = c.var.db;
    const { row } = await visibleMessage(d, p, c.req.param("id"));
    const refusal = answerRefusal(row, p.userId);
    if (refusal) throw new ApiError(refusal.status, refusal.message);
    const link = await mintAnswerLink(d, c.env, {
      messageId: row.id,
      channelId: row.channelId,
      userId: p.userId,
      expiresAt: linkExpiry(row),
      origin: new URL(c.req.url).origin,
    });
    return c.json({ url: link.url, expiresAt: link.expiresAt } satisfies AnswerLinkDto, 201);
  },
);

/** Every answer-link response: never cached or indexed, no referrer leaks the token, the page's strict CSP. */
const linkHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.res.headers.set("Content-Security-Policy", await contentSecurityPolicy());
  c.res.headers.set("Cache-Control", "no-store");
  c.res.headers.set("Referrer-Policy", "no-referrer");
  c.res.headers.set("X-Robots-Tag", "noindex, nofollow");
  c.res.headers.set("X-Content-Type-Options", "nosniff");
  c.res.headers.set("X-Frame-Options", "DENY");
};

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
const FORM_TYPE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/** What the POST asked, in the shape it came: a form (answered with pages) or JSON (answered with JSON). */
type Posted =
  | { kind: "form"; values: Submitted }
  | { kind: "json"; response: unknown; feedback: string | null; via: "link" | "push-action"; errors: FieldErrorDto[] };

async function readPost(c: Context<AppEnv>): Promise<Posted | undefined> {
  const type = c.req.header("content-type") ?? "";
  if (FORM_TYPE.test(type)) return { kind: "form", values: submittedOf(await c.req.parseBody({ all: true })) };
  if (!JSON_TYPE.test(type)) return undefined;
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return { kind: "json", response: undefined, feedback: null, via: "link", errors: [{ path: "(root)", message: "malformed JSON", code: "invalid_json" }] };
  }
  const parsed = answerLinkBody.safeParse(body);
  if (!parsed.success) return { kind: "json", response: undefined, feedback: null, via: "link", errors: zodErrors(parsed.error) };
  return { kind: "json", response: parsed.data.response, feedback: parsed.data.feedback || null, via: parsed.data.via, errors: [] };
}

const jsonError = (c: Context<AppEnv>, status: 400 | 403 | 404 | 409 | 410 | 413 | 415, message: string, errors: FieldErrorDto[] = []) =>
  c.json({ statusCode: status, message, errors }, status);

/** `GET` and `POST /r/:token`: public, no session (app.ts mounts them at /r). */
export const answerLinkRoutes = new Hono<AppEnv>()
  .use(linkHeaders)
  .use(withDb)
  .use(jsonBodyLimit)
  .get("/:token", doc("An answer link's page: the review and, while it may be answered, a form that posts the answer (a GET never answers)"), async (c) => {
    const link = await openAnswerLink(c.var.db, c.req.param("token"));
    if (!link) return c.html(notFoundPage(), 404);
    return c.html(reviewPage(link));
  })
  .post(
    "/:token",
    doc("Answers the link's review as its person: the page's form (urlencoded), or JSON `{response, feedback?, via?}`", {
      body: answerLinkBody,
      responses: {
        200: "Answered (a page, or the review's message as JSON); the link is spent",
        400: "The answer does not fit the review: the page again with every problem at its field",
        403: "Assigned to others",
        404: "Unknown, tampered or expired link",
        409: "Already answered (the link was spent, or someone else answered; a quorum: you voted already)",
        410: "Expired",
        415: "Neither a form nor JSON",
      },
    }),
    async (c) => {
      const d = c.var.db;
      const link = await openAnswerLink(d, c.req.param("token"));
      const posted = await readPost(c);
      if (!posted) {
        if (!link) return c.html(notFoundPage(), 404);
        return c.html(messagePage("Not sent", "Send the page's form (or JSON) to answer."), 415);
      }
      const asJson = posted.kind === "json";
      if (!link) return asJson ? jsonError(c, 404, "Answer link not found") : c.html(notFoundPage(), 404);
      if (link.spentAt) {
        return asJson
          ? jsonError(c, 409, "This answer link was already used")
          : c.html(statePage(link, { lead: "This link was already used.", tone: "warn" }), 409);
      }
      const refusal = answerRefusal(link.row, link.person.id);
      if (refusal) return refused(c, refusal.status, refusal.message, asJson);

      const review = { type: link.row.reviewType!, payload: link.row.reviewPayload ?? {} };
      const converted =
        posted.kind === "form" ? responseFromForm(review, posted.values) : { response: posted.response, feedback: posted.feedback, errors: posted.errors };
      if (converted.errors.length) return invalidAnswer(c, link, posted, converted.errors);

      const answer: Answer = {
        response: converted.response,
        feedback: converted.feedback,
        by: link.person,
        via: posted.kind === "json" ? posted.via : "link",
        origin: requestOrigin(c.req.raw.headers),
      };
      const result = await roomOf(c.env, link.row.channelId).respond(link.row.channelId, link.row.id, answer);
      if (!result.ok) {
        if (result.status === 400) {
          const errors = (result.errors ?? [{ path: "response", message: result.message }]).map((e) => ({ ...e, code: e.code ?? "invalid" }));
          return invalidAnswer(c, link, posted, errors);
        }
        return refused(c, result.status === 413 ? 409 : result.status, result.message, asJson);
      }
      await spendAnswerLinks(d, link.row.id, link.person.id);
      if (asJson) return c.json(result.value as MessageDto);
      return c.html(answeredPage(link, result.value as MessageDto));
    },
  );

function invalidAnswer(c: Context<AppEnv>, link: OpenLink, posted: Posted, errors: FieldErrorDto[]) {
  if (posted.kind === "json") return jsonError(c, 400, `Invalid input: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`.slice(0, 500), errors);
  return c.html(reviewPage(link, { values: posted.values, errors }), 400);
}

/** A 403, 409 or 410 (or a review gone meanwhile): why, with the review's state as it is now. */
async function refused(c: Context<AppEnv>, status: 403 | 404 | 409 | 410, message: string, asJson: boolean) {
  if (asJson) return jsonError(c, status, message);
  const now = await openAnswerLink(c.var.db, c.req.param("token")!);
  if (!now) return c.html(notFoundPage(), 404);
  return c.html(statePage(now, { title: "Not sent", lead: message, tone: "bad" }), status);
}
