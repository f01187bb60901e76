// More helpers for the route-by-route suites (agent-api, user-api, files, access).
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { BASE, call, personFrom, type Person } from "./helpers";
import { sessionCookie, sleep } from "../common";

export type Res = Awaited<ReturnType<typeof call>>;
export type Bot = Awaited<ReturnType<typeof import("./helpers").agentWithKey>>;

/**
 * The same person as a browser sends their requests: every request carries the page's own Origin
 * (browsers send it on every POST, PATCH and DELETE), so the user API's CSRF guard lets it through.
 */
export function browser(p: Person): Person {
  return { ...p, as: (method, path, body, headers = {}) => p.as(method, path, body, { origin: BASE, ...headers }) };
}

/** An agent-API client for one key. */
export function keyClient(apiKey: string) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(method, `/api/v1${path}`, { body, headers: { "x-api-key": apiKey, ...headers } });
}

/** The API's error shape (docs/api.md), with the status, and (optionally) the paths that must be listed. */
export function expectError(res: Res, status: number, paths: string[] = []) {
  expect(res.status, res.text).toBe(status);
  expect(res.json, res.text).toEqual({ statusCode: status, message: expect.any(String), errors: expect.any(Array) });
  expect(res.json.message.length).toBeGreaterThan(0);
  for (const e of res.json.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String), code: expect.any(String) });
  const listed = res.json.errors.map((e: { path: string }) => e.path);
  for (const path of paths) expect(listed, res.text).toContain(path);
}

export const pathsOf = (res: Res): string[] => (res.json?.errors ?? []).map((e: { path: string }) => e.path);

/** A multipart form: strings are fields, Files are files (an array appends the same name again). */
export function form(fields: Record<string, string | File | (string | File)[] | undefined>): FormData {
  const fd = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const v of [value].flat()) fd.append(name, v);
  }
  return fd;
}

export const textFile = (text: string, name = "notes.txt", type = "text/plain") => new File([text], name, { type });

/** A request whose answer is kept as a Response (bytes and headers untouched). */
export async function raw(method: string, path: string, headers: Record<string, string> = {}, body?: BodyInit) {
  return exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
}

/** Signs in with email and password; the browser-like person of that session. */
export async function login(id: string, email: string, password: string): Promise<Person> {
  const res = await call("POST", "/api/auth/login", { body: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return browser(personFrom(id, email, sessionCookie(res)));
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const URL_SAFE = /^[A-Za-z0-9_-]+$/;

export const AGENT_KEYS = [
  "id",
  "name",
  "description",
  "avatarUrl",
  "webhookUrl",
  "status",
  "statusMessage",
  "statusSince",
  "lastActiveAt",
  "retentionDays",
  "tag",
  "webhookHeaders",
  "webhookAuth",
  "commands",
  "createdAt",
];
export const MESSAGE_KEYS = [
  "id",
  "channelId",
  "seq",
  "senderType",
  "senderId",
  "text",
  "status",
  "review",
  "metadata",
  "deliveryStatus",
  "createdAt",
  "attachments",
  "iteration",
  "iterationGroupId",
  "streamId",
  "streamState",
];

/** The body a delivery of `event` sends (fixed at its first attempt and kept in the room's timer for retries). */
export async function webhookBody(channelId: string, messageId: string, event: string) {
  const room = env.CHANNEL_ROOM.get(env.CHANNEL_ROOM.idFromName(channelId));
  for (let i = 0; i < 60; i++) {
    const data = await runInDurableObject(room, (_room, state) => {
      const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM timers WHERE key = ?", `webhook:${messageId}:${event}`).toArray()[0];
      return row ? (JSON.parse(row.data) as { body?: string }) : undefined;
    });
    if (data?.body) return JSON.parse(data.body);
    await sleep(50);
  }
  throw new Error(`no ${event} delivery body for ${messageId}`);
}
