// OpenAPI 3.1 built from the app's own routes: every route's validators carry their zod schemas
// (validate.ts), and zod 4 turns each into JSON Schema. No second description of the API to drift.
import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { z } from "zod";
import { DOC, type RouteDoc } from "./validate";

type Operation = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType) {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
}

function queryParameters(schema: z.ZodType) {
  const json = toJsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, prop]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    schema: prop,
  }));
}

function security(path: string) {
  if (path.startsWith("/api/v1/")) return [{ apiKey: [] }, { bearer: [] }];
  if (path.startsWith("/api/auth/setup") || path.startsWith("/api/auth/login") || path.startsWith("/api/openapi") || path.startsWith("/api/share/")) return [];
  if (path.startsWith("/r/")) return []; // answer links: the token in the path is the credential
  return [{ session: [] }, { sessionBearer: [] }];
}

export function buildOpenApi(app: Hono<AppEnv>) {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of app.routes) {
    const meta = (route.handler as { [DOC]?: RouteDoc })[DOC];
    if (!meta || route.method === "ALL") continue;
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    const method = route.method.toLowerCase();
    const operations = paths[path] ?? {};
    paths[path] = operations;
    const op: Operation = operations[method] ?? {
      tags: [path.startsWith("/api/v1/") ? "Agent API" : path.startsWith("/r/") ? "Answer links" : "User API"],
      security: security(route.path),
      parameters: [...route.path.matchAll(/:(\w+)/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      responses: {} as Record<string, unknown>,
    };
    operations[method] = op;
    if (meta.summary) op.summary = meta.summary;
    if (meta.query) (op.parameters as unknown[]).push(...queryParameters(meta.query));
    if (meta.body) {
      op.requestBody = { required: true, content: { "application/json": { schema: toJsonSchema(meta.body) } } };
    }
    if (meta.multipart) {
      op.requestBody = { required: true, content: { "multipart/form-data": { schema: toJsonSchema(meta.multipart) } } };
    }
    for (const [status, description] of Object.entries(meta.responses ?? {})) {
      (op.responses as Record<string, unknown>)[status] = { description };
    }
  }
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      const responses = op.responses as Record<string, unknown>;
      if (Object.keys(responses).length === 0) responses["200"] = { description: "OK" };
      responses["4XX"] = { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "Nod API", version: "1.0.0", description: "Agents ask, people answer. See README.md." },
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
        bearer: { type: "http", scheme: "bearer" },
        session: { type: "apiKey", in: "cookie", name: "access_token" },
        sessionBearer: { type: "http", scheme: "bearer", description: "The access_token cookie's value, for scripts" },
      },
      schemas: {
        Error: {
          type: "object",
          properties: {
            statusCode: { type: "integer" },
            message: { type: "string" },
            errors: {
              type: "array",
              items: {
                type: "object",
                required: ["path", "message", "code"],
                properties: {
                  path: { type: "string", description: "dotted, like review.payload.options.0.id" },
                  message: { type: "string" },
                  code: { type: "string", description: "zod's issue code, or a short code of Nod's" },
                },
              },
            },
          },
        },
      },
    },
  };
}
