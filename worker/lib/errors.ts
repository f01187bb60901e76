import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { ErrorDto, FieldErrorDto } from "../../contract/dto";
import { logError } from "./log";

/** A problem found by Nod's own checks; `code` defaults to "invalid" (zod's issues bring their own). */
export type FieldError = Omit<FieldErrorDto, "code"> & { code?: string };

/** An error that becomes `{statusCode, message, errors}` (docs/api.md, "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.errors = errors.map((e) => ({ ...e, code: e.code ?? "invalid" }));
  }
  readonly errors: FieldErrorDto[];
}

export const notFound = (what: string) => new ApiError(404, `${what} not found`);

/** Every zod issue as `{path, message, code}`, the path prefixed with where the value came from. */
export function zodErrors(error: z.ZodError, prefix?: string): FieldErrorDto[] {
  return error.issues.map((issue) => ({
    path: [...(prefix ? [prefix] : []), ...issue.path.map(String)].join(".") || "(root)",
    message: issue.message,
    code: issue.code,
  }));
}

export function invalid(errors: FieldError[], message?: string): ApiError {
  const summary = message ?? `Invalid input: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`;
  return new ApiError(400, summary.length > 500 ? `${summary.slice(0, 497)}...` : summary, errors);
}

function errorResponse(c: Context, err: ApiError) {
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json({ statusCode: err.status, message: err.message, errors: err.errors } satisfies ErrorDto, err.status);
}

/** Hono's onError: known errors keep their status; anything else is logged and hidden behind a 500. */
export function handleError(err: Error, c: Context) {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorResponse(c, new ApiError(status, err.message || "Bad request"));
  }
  logError("unhandled error", c.req.method, new URL(c.req.url).pathname, err);
  return errorResponse(c, new ApiError(500, "Internal error"));
}
