// The OpenAPI document describes every addition of Placet parity (docs/api.md), since it is generated
// from the same zod schemas that validate the requests.
import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("OpenAPI document", () => {
  it("has Placet's routes, request fields, query filter, error code, the person's Bearer token and the Claude Code hook", async () => {
    const doc = (await call("GET", "/api/openapi.json")).json;
    for (const [path, method] of [
      ["/api/v1/agents/setTag", "post"],
      ["/api/v1/agents/setWebhook", "post"],
      ["/api/v1/agents/deleteWebhook", "post"],
      ["/api/v1/messages/iterations/{id}", "get"],
      ["/api/v1/files", "get"],
      ["/api/v1/files/store-text", "post"],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
    const post = doc.paths["/api/v1/messages"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(post.properties)).toEqual(expect.arrayContaining(["iterationOf", "textAttachments"]));
    const list = doc.paths["/api/v1/messages"].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toContain("has_attachments");
    const respond = doc.paths["/api/messages/{id}/respond"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(respond.properties)).toContain("feedback");
    const webhook = doc.paths["/api/v1/agents/setWebhook"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(webhook.properties)).toEqual(expect.arrayContaining(["channelId", "url", "headers", "auth"]));
    expect(doc.components.schemas.Error.properties.errors.items.required).toEqual(["path", "message", "code"]);
    // Claude Code's hook: the body schema of contract/requests/hooks.ts, open to fields Claude Code adds.
    const hook = doc.paths["/api/v1/hooks/claude-code"]?.post;
    expect(hook?.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    const hookBody = hook.requestBody.content["application/json"].schema;
    expect(hookBody.required).toEqual(["session_id", "cwd", "hook_event_name"]);
    expect(Object.keys(hookBody.properties)).toEqual(expect.arrayContaining(["tool_name", "tool_input", "permission_suggestions", "tool_use_id"]));
    expect(hookBody.properties.tool_input.type).toBe("object");
    expect(hookBody.additionalProperties).toEqual({});
    expect(hook.parameters.map((p: { name: string }) => p.name)).toEqual(["channel", "timeout"]);
    expect(doc.paths["/api/auth/me"].get.security).toEqual(expect.arrayContaining([{ sessionBearer: [] }]));
    expect(doc.components.securitySchemes.session).toMatchObject({ in: "cookie", name: "access_token" });
  });
});
