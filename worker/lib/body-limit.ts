// Every request body has a cap, checked before the body is read: a declared Content-Length over it is
// refused at once, and a body without one (chunked) is counted as it streams in and refused the
// moment it passes the cap (hono's bodyLimit). Production gives an isolate 128 MB; nothing here may
// buffer more than its cap.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";
import { LIMITS } from "../../contract/limits";

/** Room for multipart boundaries and the form's small text fields around the files. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** MAX_UPLOAD_BYTES (wrangler.toml), read here only: every file of an upload together (default 25 MiB). */
export const maxUploadBytes = (c: Context<AppEnv>) => Number(c.env.MAX_UPLOAD_BYTES) || 25 * 1024 * 1024;

export const uploadTooLarge = (c: Context<AppEnv>) => new ApiError(413, `Uploads may be at most ${maxUploadBytes(c)} bytes in all`);

/** Caps a route's body at `maxSize(c)` bytes; over it, 413 with `error(c)`. */
export function capBody(maxSize: (c: Context<AppEnv>) => number, error: (c: Context<AppEnv>, max: number) => ApiError): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const max = maxSize(c);
    return bodyLimit({
      maxSize: max,
      onError: () => {
        throw error(c, max);
      },
    })(c, next);
  };
}

/** JSON (and any other non-file) body: LIMITS.jsonBodyBytes. */
export const jsonBodyLimit = capBody(
  () => LIMITS.jsonBodyBytes,
  (_c, max) => new ApiError(413, `Request bodies may be at most ${max} bytes`),
);

/** A multipart upload: every file together within MAX_UPLOAD_BYTES. */
export const uploadBodyLimit = capBody(
  (c) => maxUploadBytes(c) + MULTIPART_OVERHEAD,
  (c) => uploadTooLarge(c),
);

/** MCP's `upload_file` carries a whole upload as base64 in its JSON: the upload limit, encoded (4/3), plus the envelope. */
export const maxMcpBodyBytes = (c: Context<AppEnv>) => Math.ceil((maxUploadBytes(c) * 4) / 3) + MULTIPART_OVERHEAD;

export const mcpBodyLimit = capBody(
  maxMcpBodyBytes,
  (_c, max) => new ApiError(413, `MCP requests may be at most ${max} bytes (an upload_file of at most MAX_UPLOAD_BYTES)`),
);
