// Placet's form vocabulary (docs/api.md, "Placet compatibility"): defaultValue, unit, a checkbox's
// description, select options as plain strings, and dismissLabel with its {_dismissed: true} answer.
// Each is stored and returned as the agent sent it (options normalised), each bad value is a 400 that
// names it, and the answers are checked against the payload as before.
import { beforeAll, describe, expect, it } from "vitest";
import { expectError } from "./api-helpers";
import { agentWithKey, setupOwner, type Person } from "./helpers";

let owner: Person;
let bot: Awaited<ReturnType<typeof agentWithKey>>;

beforeAll(async () => {
  owner = await setupOwner();
  bot = await agentWithKey(owner);
});

const form = (payload: Record<string, unknown>) => ({ channelId: bot.agent.id, text: "Fill this in", review: { type: "form", payload } });

const placetFields = [
  { name: "region", type: "select", label: "Region", options: ["eu-west", "us-east"], defaultValue: "eu-west" },
  { name: "timeoutMs", type: "number", label: "Timeout", unit: "ms", min: 0, defaultValue: 500 },
  { name: "agree", type: "checkbox", label: "I agree", description: "The deploy cannot be undone." },
];

describe("Placet's form fields", () => {
  it("are stored and returned: defaultValue, unit, checkbox description, dismissLabel; string options become {value, label}", async () => {
    const posted = await bot.v1("POST", "/messages", form({ fields: placetFields, dismissLabel: "Not now" }));
    expect(posted.status, posted.text).toBe(201);
    const read = await bot.v1("GET", `/reviews/${posted.json.id}`);
    const payload = read.json.review.payload;
    expect(payload.dismissLabel).toBe("Not now");
    expect(payload.fields[0]).toEqual({
      name: "region",
      type: "select",
      label: "Region",
      options: [
        { value: "eu-west", label: "eu-west" },
        { value: "us-east", label: "us-east" },
      ],
      defaultValue: "eu-west",
    });
    expect(payload.fields[1]).toMatchObject({ unit: "ms", defaultValue: 500 });
    expect(payload.fields[2]).toMatchObject({ type: "checkbox", description: "The deploy cannot be undone." });
    // The person's view (the web app reads this) is the same payload.
    const inbox = await owner.as("GET", `/api/reviews?channel=${bot.agent.id}`);
    expect(inbox.json.data.find((m: { id: string }) => m.id === posted.json.id).review.payload).toEqual(payload);
  });

  it("a plain-string option is checked like any other: the answer must be one of them", async () => {
    const posted = await bot.v1("POST", "/messages", form({ fields: placetFields }));
    const bad = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { region: "mars", timeoutMs: 100 } });
    expectError(bad, 400, ["response.region"]);
    const ok = await owner.as("POST", `/api/messages/${posted.json.id}/respond`, { response: { region: "us-east", timeoutMs: 100, agree: true } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.review.response).toEqual({ region: "us-east", timeoutMs: 100, agree: true });
  });

  it("dismissing answers {_dismissed: true}, and only a form that offers it may be dismissed", async () => {
    const offered = await bot.v1("POST", "/messages", form({ fields: placetFields, dismissLabel: "Skip" }));
    const dismissed = await owner.as("POST", `/api/messages/${offered.json.id}/respond`, { response: { _dismissed: true } });
    expect(dismissed.status, dismissed.text).toBe(200);
    const waited = await bot.v1("GET", `/reviews/${offered.json.id}/wait?timeout=0`);
    expect(waited.json).toMatchObject({ status: "completed", message: { review: { status: "completed", response: { _dismissed: true } } } });

    const notOffered = await bot.v1("POST", "/messages", form({ fields: placetFields }));
    const refused = await owner.as("POST", `/api/messages/${notOffered.json.id}/respond`, { response: { _dismissed: true } });
    expectError(refused, 400, ["response"]);
    expect(refused.json.errors[0].message).toContain("_dismissed");
    // Dismissal is all or nothing: no values ride along with it.
    const mixed = await owner.as("POST", `/api/messages/${offered.json.id}/respond`, { response: { _dismissed: true, region: "eu-west" } });
    expect(mixed.status).toBe(409); // already answered: the first dismissal stands
    const again = await bot.v1("POST", "/messages", form({ fields: placetFields, dismissLabel: "Skip" }));
    expectError(await owner.as("POST", `/api/messages/${again.json.id}/respond`, { response: { _dismissed: false } }), 400);
    expect((await bot.v1("GET", `/reviews/${again.json.id}`)).json.review.status).toBe("pending");
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ["unit not a string", { fields: [{ name: "n", type: "number", label: "N", unit: 5 }] }, "review.payload.fields.0.unit"],
    ["unit too long", { fields: [{ name: "n", type: "number", label: "N", unit: "u".repeat(41) }] }, "review.payload.fields.0.unit"],
    ["empty unit", { fields: [{ name: "n", type: "number", label: "N", unit: " " }] }, "review.payload.fields.0.unit"],
    ["empty string option", { fields: [{ name: "s", type: "select", label: "S", options: [""] }] }, "review.payload.fields.0.options.0"],
    ["option neither string nor object", { fields: [{ name: "s", type: "select", label: "S", options: [7] }] }, "review.payload.fields.0.options.0"],
    ["dismissLabel not a string", { fields: placetFields, dismissLabel: true }, "review.payload.dismissLabel"],
    ["empty dismissLabel", { fields: placetFields, dismissLabel: "" }, "review.payload.dismissLabel"],
    ["description too long", { fields: [{ name: "c", type: "checkbox", label: "C", description: "d".repeat(2001) }] }, "review.payload.fields.0.description"],
  ];
  for (const [what, payload, path] of bad) {
    it(`refuses a form with ${what} (400 naming ${path}), storing nothing`, async () => {
      const before = (await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=1`)).json.data[0]?.seq ?? 0;
      expectError(await bot.v1("POST", "/messages", form(payload)), 400, [path]);
      expect((await bot.v1("GET", `/messages?channel=${bot.agent.id}&limit=1`)).json.data[0]?.seq ?? 0).toBe(before);
    });
  }
});

describe("error items", () => {
  it("carry zod's issue code next to path and message", async () => {
    const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: 42, status: "fatal" });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual(
      expect.arrayContaining([
        { path: "text", message: expect.any(String), code: "invalid_type" },
        { path: "status", message: expect.any(String), code: "invalid_value" },
      ]),
    );
  });

  it("carry a short code of Nod's own where the check is Nod's", async () => {
    const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "x", webhookUrl: "http://127.0.0.1/hook" });
    expectError(res, 400, ["webhookUrl"]);
    expect(res.json.errors[0].code).toBe("forbidden_url");
  });
});
