import { describe, expect, it } from "vitest";
import { approval, agentWithKey, call, setupOwner } from "./helpers";

describe("smoke", () => {
  it("first run, key, post, answer, wait", async () => {
    expect((await call("GET", "/api/auth/setup")).json).toEqual({ needed: true });
    const owner = await setupOwner();
    const bot = await agentWithKey(owner);
    const posted = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "Deploy?", review: approval });
    expect(posted.status).toBe(201);
    const answered = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { selectedOption: "approve" } });
    expect(answered.status).toBe(200);
    const waited = await bot.v1("GET", `/reviews/${posted.json.id}/wait?channel=${bot.agent.id}&timeout=1000`);
    expect(waited.json.status).toBe("completed");
    expect(waited.json.message.review.response.selectedOption).toBe("approve");
  });
});
