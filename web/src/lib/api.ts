// The user API client: JSON in and out, the session cookie, and the API's error shape (docs/api.md).
import type { ErrorDto, FieldErrorDto as FieldError, StoredFileDto } from "../../../contract/dto";

export type { FieldError };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized: (() => void) | undefined;
/** Called when a request finds the session gone (401), so the app can show the sign-in page. */
export const setUnauthorizedHandler = (fn: () => void) => (onUnauthorized = fn);

/**
 * An API path with every interpolated value encoded as exactly one path segment:
 * apiPath`/api/agents/${id}/read`. A value cannot add segments (`/`), start a query or a fragment
 * (`?`, `#`), or climb out: URL parsing resolves `.` and `..` segments even when percent-encoded
 * (`%2e%2e`), so those values (and the empty one) are refused. Query strings come from `qs`.
 */
export function apiPath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  let path = strings[0]!;
  values.forEach((value, i) => {
    const segment = encodeURIComponent(String(value));
    if (segment === "" || segment === "." || segment === "..") throw new Error(`Not a path segment: ${JSON.stringify(String(value))}`);
    path += segment + strings[i + 1]!;
  });
  return path;
}

/** Where a review's answer goes; its channel lets the channel's room take it without a lookup first. */
export const answerPath = (message: { id: string; channelId: string }) => apiPath`/api/messages/${message.id}/respond?channel=${message.channelId}`;

/** Whether the browser sends `path` as written: no `..`/`.` segment or `\` it would resolve, no other origin. */
function sentAsWritten(path: string): boolean {
  const url = new URL(path, location.origin);
  return url.origin === location.origin && url.pathname === path.split(/[?#]/, 1)[0];
}

export async function request<T>(method: string, path: string, body?: unknown, init: { quiet401?: boolean } = {}): Promise<T> {
  // The last line of defence should a path be built from a variable without apiPath: a request never
  // lands on a route other than the one its path names.
  if (!sentAsWritten(path)) throw new ApiError(0, `Refused to send a request to ${JSON.stringify(path)}.`);
  const headers: Record<string, string> = { accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload ?? null, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "The server cannot be reached. Check your connection and try again.");
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json ?? {}) as Partial<ErrorDto>;
    if (res.status === 401 && !init.quiet401) onUnauthorized?.();
    throw new ApiError(res.status, err.message ?? `${res.status} ${res.statusText}`, err.errors ?? []);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string, init?: { quiet401?: boolean }) => request<T>("GET", path, undefined, init),
  post: <T>(path: string, body?: unknown, init?: { quiet401?: boolean }) => request<T>("POST", path, body, init),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  del: <T>(path: string, body?: unknown) => request<T>("DELETE", path, body),
};

/** A query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const downloadUrl = (fileId: string) => apiPath`/api/files/${fileId}/download`;

/** Stores a file for a later message (`attachmentIds`). */
export function storeFile(channelId: string, file: Blob, filename: string) {
  const form = new FormData();
  form.set("channelId", channelId);
  form.set("file", file, filename);
  return request<StoredFileDto>("POST", "/api/files/store", form);
}
