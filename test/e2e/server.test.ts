import { describe, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";

describe("the real server", () => {
  it("serves the SPA with fallback, the API, and the OpenAPI document", async () => {
    const home = await fetch(`${nodUrl()}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<div id="root">');
    const deep = await fetch(`${nodUrl()}/inbox/some/deep/link`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    const openapi = await (await fetch(`${nodUrl()}/api/openapi.json`)).json();
    expect(openapi.paths["/api/v1/messages"].post.requestBody).toBeTruthy();
    const missing = await fetch(`${nodUrl()}/api/nope`, { headers: { cookie: "" } });
    expect(missing.status).toBeGreaterThanOrEqual(400);
  });

  it("creates agents for the owner", async () => {
    const { channelId } = await newAgent("E2E bot");
    const list = await asOwner("GET", "/api/agents");
    expect(list.json.data.map((a: { id: string }) => a.id)).toContain(channelId);
  });
});
