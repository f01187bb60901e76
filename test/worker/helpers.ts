// Test helpers: drive the Worker through its real fetch handler, as a browser and as an agent would.
import { exports } from "cloudflare:workers";
import { sessionCookie } from "../common";

export const BASE = "http://nod.test";

export async function call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; raw?: BodyInit } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  let body: BodyInit | undefined = init.raw;
  if (init.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(init.body);
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

let userCounter = 0;

/** A signed-in person: the owner when none exists, else a member created by `owner`. */
export interface Person {
  id: string;
  cookie: string;
  email: string;
  as(method: string, path: string, body?: unknown, headers?: Record<string, string>): ReturnType<typeof call>;
}

export function personFrom(id: string, email: string, cookie: string): Person {
  return {
    id,
    cookie,
    email,
    as: (method, path, body, headers = {}) => call(method, path, { body, headers: { cookie, ...headers } }),
  };
}

export async function setupOwner(email = "owner@example.com", password = "correct horse battery"): Promise<Person> {
  const res = await call("POST", "/api/auth/setup", { body: { email, password, displayName: "Owner" } });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`);
  return personFrom(res.json.id, email, sessionCookie(res));
}

export async function addMember(owner: Person, password = "member password 1"): Promise<Person> {
  const email = `member${++userCounter}@example.com`;
  const created = await owner.as("POST", "/api/users", { email, password, displayName: `Member ${userCounter}` });
  if (created.status !== 201) throw new Error(`member failed: ${created.text}`);
  const login = await call("POST", "/api/auth/login", { body: { email, password } });
  return personFrom(created.json.id, email, sessionCookie(login));
}

/** An agent of `person` and an unscoped API key for it. */
export async function agentWithKey(person: Person, name = "Deploy bot") {
  const agent = await person.as("POST", "/api/agents", { name });
  const key = await person.as("POST", "/api/api-keys", { label: `${name} key` });
  if (agent.status !== 201 || key.status !== 201) throw new Error(`agent/key failed: ${agent.text} ${key.text}`);
  const apiKey: string = key.json.key;
  return {
    agent: agent.json,
    apiKey,
    keyId: key.json.id as string,
    v1: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      call(method, `/api/v1${path}`, { body, headers: { "x-api-key": apiKey, ...headers } }),
  };
}

export const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve", style: "primary" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
    allowComment: true,
  },
};
