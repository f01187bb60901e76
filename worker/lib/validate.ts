// Request validation as Hono middleware. Each validator carries its zod schema (under DOC), so the
// OpenAPI document is generated from the very schemas that check requests (see openapi.ts).
import type { Context, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError, invalid, zodErrors } from "./errors";

export const DOC = Symbol("openapi");

export interface RouteDoc {
  summary?: string;
  body?: z.ZodType;
  query?: z.ZodType;
  multipart?: z.ZodType;
  responses?: Record<number, string>;
}

type Documented<T> = T & { [DOC]: RouteDoc };

function documented<T extends object>(mw: T, doc: RouteDoc): Documented<T> {
  return Object.assign(mw, { [DOC]: doc });
}

/** A no-op middleware that only documents the route. */
export function doc(summary: string, more: Omit<RouteDoc, "summary"> = {}): MiddlewareHandler {
  return documented<MiddlewareHandler>(async (_c, next) => next(), { summary, ...more });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(zodErrors(result.error, prefix));
  return result.data;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
/** Deeper JSON than this is refused: nothing Nod accepts needs it, and it would cost stack later. */
const MAX_JSON_DEPTH = 32;

/** How deeply a parsed JSON value nests (iteratively, so a hostile value cannot overflow the stack). */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * A JSON body: 415 unless the content type is JSON, 400 for malformed JSON or any zod issue.
 * With `optional`, a request without a body (and without a content type) validates `{}`.
 */
/**
 * What a route checks before it refuses a request as invalid: the caller's credential, where the route has not
 * checked it yet (the agent API's room routes), so a revoked key hears 401 whatever its body.
 */
export type BeforeRefusing = (c: Context) => Promise<unknown>;

/** `check`'s value, or its error once `beforeRefusing` has had its say. */
async function refusedAfter<T>(c: Context, check: () => T, beforeRefusing?: BeforeRefusing): Promise<T> {
  try {
    return check();
  } catch (err) {
    await beforeRefusing?.(c);
    throw err;
  }
}

export function jsonBody<S extends z.ZodType>(schema: S, { optional = false, beforeRefusing }: { optional?: boolean; beforeRefusing?: BeforeRefusing } = {}) {
  return documented(
    validator("json", (value, c) =>
      refusedAfter(
        c,
        () => {
          const type = c.req.header("content-type");
          if (optional && !type && !Number(c.req.header("content-length") ?? 0)) return parseWith(schema, {}) as z.output<S>;
          if (!JSON_TYPE.test(type ?? "")) throw new ApiError(415, "Content-Type must be application/json");
          if (jsonDepth(value) > MAX_JSON_DEPTH)
            throw invalid([{ path: "(root)", message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, code: "too_deep" }]);
          return parseWith(schema, value) as z.output<S>;
        },
        beforeRefusing,
      ),
    ),
    { body: schema },
  );
}

export function query<S extends z.ZodType>(schema: S, { beforeRefusing }: { beforeRefusing?: BeforeRefusing } = {}) {
  return documented(
    validator("query", (value, c) => refusedAfter(c, () => parseWith(schema, value, "query") as z.output<S>, beforeRefusing)),
    { query: schema },
  );
}
