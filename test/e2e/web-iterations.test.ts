// Iteration chains, feedback and the Placet form fields in Debian's Chromium against the real
// `wrangler dev` server. An agent posts a draft for approval; the person rejects it with feedback; the
// agent posts the next version (`iterationOf`) and the person sees ① → ②, what changed in the text, the
// images of both versions side by side and the feedback they gave on ① (a chat open meanwhile shows
// ② arrive, and ① turn into the chain's first step); a third version shows three
// steps with their states, in the inbox and in the chat. Then a form with a unit, a `defaultValue`, a
// checkbox description and a dismiss button: dismissing it answers `{_dismissed: true}` to the agent.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { diffStats, diffText } from "../../web/src/lib/text-diff";
import { createAgent, http, launchBrowser, openApp, png, type Opened, type TestAgent } from "./web-helpers";

const url = () => inject("nodUrl");
const cookie = () => inject("ownerCookie");

let browser: Browser;
const opened: Opened[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const o of opened.splice(0)) {
    expect(o.problems, `page errors or CSP violations: ${o.problems.join(" | ")}`).toEqual([]);
    await o.context.close();
  }
  await browser?.close();
});

async function open() {
  const o = await openApp(browser, url(), { cookie: cookie() });
  opened.push(o);
  return o.page;
}

const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve", style: "primary" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
  },
};

/** Stores a file for the agent's next message (`attachmentIds`). */
async function storeFile(agent: TestAgent, filename: string, type: string, content: Uint8Array<ArrayBuffer>): Promise<string> {
  const form = new FormData();
  form.set("channelId", agent.id);
  form.set("file", new Blob([content], { type }), filename);
  const res = await fetch(`${url()}/api/v1/files/store`, { method: "POST", headers: { "x-api-key": agent.key }, body: form });
  if (res.status !== 201) throw new Error(`store: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Waits until the live connection is up (the dot in the sidebar says so). */
async function live(page: Page) {
  await page.getByRole("img", { name: "Live updates: live" }).waitFor({ timeout: 15_000 });
}

/** The review as the agent reads it (`GET /api/v1/reviews/:id`). */
async function agentReview(agent: TestAgent, id: string) {
  const res = await http(url(), "GET", `/api/v1/reviews/${id}?channel=${agent.id}`, undefined, { "x-api-key": agent.key });
  expect(res.status).toBe(200);
  return res.json.review as { status: string; response: Record<string, unknown> | null; feedback: string | null };
}

/** The breadcrumbs of a chain, as `mark status` per step, the current one starred: ["1 answered", "2 pending *"]. */
async function steps(scope: ReturnType<Page["locator"]>) {
  const buttons = scope.getByRole("list", { name: "Versions of this review" }).getByRole("button");
  const out: string[] = [];
  for (const b of await buttons.all()) {
    const current = (await b.getAttribute("aria-current")) === "step" ? " *" : "";
    out.push(`${await b.getAttribute("data-iteration")} ${await b.getAttribute("data-status")}${current}`);
  }
  return out;
}

describe("diffText (the chain's text diff)", () => {
  const render = (before: string, after: string) =>
    diffText(before, after)
      .map((p) => (p.kind === "same" ? p.text : p.kind === "added" ? `{+${p.text}+}` : `[-${p.text}-]`))
      .join("");

  it("marks the words and characters that changed, and keeps the rest", () => {
    expect(render("Deploy v1.2 to staging", "Deploy v1.3 to staging tonight")).toBe("Deploy v1.[-2-]{+3+} to staging{+ tonight+}");
    expect(render("a\nb\nc\n", "a\nc\n")).toBe("a\n[-b\n-]c\n");
    expect(render("same", "same")).toBe("same");
    expect(render("", "new")).toBe("{+new+}");
    expect(diffStats(diffText("one two three", "one 2 three four"))).toEqual({ added: 2, removed: 1 });
  });

  it("diffs long texts line by line, then word by word inside the changed lines; past that, all is replaced", () => {
    const lines = Array.from({ length: 600 }, (_, i) => `line ${i} of the report`);
    const changed = (i: number) => i === 0 || i === 300 || i === 599;
    // 600 lines of 9 tokens, changed at the start, the middle and the end: too many cells word by word.
    expect(render(lines.join("\n"), lines.map((l, i) => (changed(i) ? l.replace("report", "summary") : l)).join("\n"))).toBe(
      lines.map((l, i) => (changed(i) ? l.replace("report", "[-report-]{+summary+}") : l)).join("\n"),
    );
    const many = (tag: string) => Array.from({ length: 1500 }, (_, i) => `${tag}${i}`).join("\n");
    expect(diffText(many("a"), many("b"))).toEqual([
      { kind: "removed", text: many("a") },
      { kind: "added", text: many("b") },
    ]);
  });
});

describe("iteration chains", () => {
  it("a rejected draft with feedback comes back as ② with the feedback, a diff and both images; ③ shows three steps", async () => {
    const agent = await createAgent(url(), cookie(), "Release bot");
    const shot1 = await storeFile(
      agent,
      "before.png",
      "image/png",
      png(1, 1, () => [255, 0, 0]),
    );
    const round1 = await agent.post({
      text: "Release notes for v1.2:\n\nFixed the login bug.\nAdded dark mode.",
      review: approval,
      attachmentIds: [shot1],
    });

    // ① in the inbox: rejected with feedback for the agent.
    const page = await open();
    await page.goto(`/?agent=${agent.id}`);
    const detail = page.locator(".inbox-detail-pane");
    await detail.getByText("Fixed the login bug.").waitFor();
    const card = detail.locator('[data-review-type="approval"]');
    // The feedback box stays folded until asked for.
    expect(await card.getByRole("textbox", { name: /Feedback for the agent/ }).count()).toBe(0);
    await card.getByRole("button", { name: "Add feedback" }).click();
    await card.getByRole("textbox", { name: /Feedback for the agent/ }).fill("Mention the Safari fix too.");
    const waiting = agent.wait(round1.id);
    await card.getByRole("button", { name: "Reject" }).click();
    const result = await waiting;
    expect(result.message!.review.response).toEqual({ selectedOption: "reject" });
    expect(await agentReview(agent, round1.id)).toMatchObject({ status: "completed", feedback: "Mention the Safari fix too." });

    // ②: the next version, with the person's feedback taken in; a chat open meanwhile shows it live,
    // and ① there becomes the first step of the chain.
    const chat = await open();
    await chat.goto(`/chat/${agent.id}`);
    await chat.getByText("Fixed the login bug.").waitFor();
    await live(chat);
    const shot2 = await storeFile(
      agent,
      "after.png",
      "image/png",
      png(1, 1, () => [0, 0, 255]),
    );
    const round2 = await agent.post({
      text: "Release notes for v1.3:\n\nFixed the login bug on Safari.\nAdded dark mode.",
      review: approval,
      attachmentIds: [shot2],
      iterationOf: round1.id,
    });
    await expect.poll(() => steps(chat.locator(`[data-message-id="${round2.id}"]`))).toEqual(["1 answered", "2 pending *"]);
    await expect.poll(() => steps(chat.locator(`[data-message-id="${round1.id}"]`))).toEqual(["1 answered *", "2 pending"]);

    await page.goto(`/?agent=${agent.id}`);
    await detail.getByText("Fixed the login bug on Safari.").waitFor();
    const item2 = page.locator(`.inbox-item[data-id="${round2.id}"]`);
    expect(await item2.locator(".tag-rereview").textContent()).toContain("Re-review");

    const chain = detail.locator("[data-iterations]");
    await expect.poll(() => steps(chain)).toEqual(["1 answered", "2 pending *"]);
    expect(await chain.locator("[data-previous-feedback]").textContent()).toMatch(/^Your feedback on ①:\s*Mention the Safari fix too\.$/);
    const diff = chain.locator("[data-diff]");
    // "v1.2" → "v1.3", and "on Safari" added: word by word, the rest kept.
    expect(await diff.locator("del").allTextContents()).toEqual(["[removed: 2]"]);
    expect(await diff.locator("ins").allTextContents()).toEqual(["[added: 3]", "[added:  on Safari]"]);
    expect(await diff.textContent()).toContain("Added dark mode.");
    const images = chain.locator("[data-image-compare] img");
    expect(await images.count()).toBe(2);
    expect(await images.nth(0).getAttribute("alt")).toBe("before.png");
    expect(await images.nth(1).getAttribute("alt")).toBe("after.png");
    await expect.poll(() => images.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth))).toEqual([1, 1]);

    // A click on ① shows ①, with its answer and the feedback; ② brings the pending one back.
    await chain.getByRole("button", { name: /Version 1/ }).click();
    await detail.getByText("Release notes for v1.2:").waitFor();
    await expect.poll(() => steps(chain)).toEqual(["1 answered *", "2 pending"]);
    expect(await detail.locator('[data-review-state="completed"] [data-feedback]').textContent()).toContain("Mention the Safari fix too.");
    await chain.getByRole("button", { name: /Version 2/ }).click();
    await detail.getByText("Fixed the login bug on Safari.").waitFor();

    // ② approved with a last remark; ③ follows.
    const card2 = detail.locator('[data-review-state="pending"]');
    await card2.getByRole("button", { name: "Add feedback" }).click();
    await card2.getByRole("textbox", { name: /Feedback for the agent/ }).fill("Good. Add the date.");
    await card2.getByRole("button", { name: "Approve" }).click();
    await expect.poll(async () => (await agentReview(agent, round2.id)).feedback).toBe("Good. Add the date.");
    const round3 = await agent.post({
      text: "Release notes for v1.3 (2026-12-06):\n\nFixed the login bug on Safari.\nAdded dark mode.",
      review: approval,
      iterationOf: round2.id,
    });
    await page.goto(`/?agent=${agent.id}&id=${round3.id}`);
    await expect.poll(() => steps(chain)).toEqual(["1 answered", "2 answered", "3 pending *"]);
    expect(await chain.locator("[data-previous-feedback]").textContent()).toMatch(/^Your feedback on ②:\s*Good\. Add the date\.$/);
    expect(await chain.locator("[data-diff] ins").allTextContents()).toEqual(["[added:  (2026-12-06)]"]);

    // The chat shows the chain on each version; a click on ① brings that message into view.
    await page.goto(`/chat/${agent.id}`);
    const msg3 = page.locator(`[data-message-id="${round3.id}"]`);
    await expect.poll(() => steps(msg3)).toEqual(["1 answered", "2 answered", "3 pending *"]);
    const msg2 = page.locator(`[data-message-id="${round2.id}"]`);
    await expect.poll(() => steps(msg2)).toEqual(["1 answered", "2 answered *", "3 pending"]);
    expect(await msg2.locator('[data-review-state="completed"] [data-feedback]').textContent()).toContain("Good. Add the date.");
    await msg3.getByRole("button", { name: /Version 1/ }).click();
    await page.locator(`#m-${round1.id}.msg-highlight`).waitFor();
  });
});

describe("Placet's form fields", () => {
  it("a form starts at its defaultValue, shows its unit and checkbox description, and its dismiss button answers {_dismissed: true}", async () => {
    const agent = await createAgent(url(), cookie(), "Tuning bot");
    const msg = await agent.post({
      text: "Tune the cache?",
      review: {
        type: "form",
        payload: {
          submitLabel: "Apply",
          dismissLabel: "Not now",
          fields: [
            { name: "ttl", type: "number", label: "TTL", unit: "ms", defaultValue: 250, min: 0 },
            { name: "share", type: "range", label: "Share", unit: "%", min: 0, max: 100, defaultValue: 40 },
            { name: "region", type: "select", label: "Region", options: ["eu", "us"], defaultValue: "us" },
            { name: "warm", type: "checkbox", label: "Warm up", description: "Preloads the hot keys first", defaultValue: true },
          ],
        },
      },
    });
    const page = await open();
    await page.goto(`/chat/${agent.id}`);
    const form = page.locator(`[data-message-id="${msg.id}"] [data-review-type="form"]`);
    const ttl = form.getByLabel(/^TTL/);
    await ttl.waitFor();
    expect(await ttl.inputValue()).toBe("250");
    expect(await form.locator('[data-field="ttl"] .field-unit').textContent()).toBe("ms");
    expect(
      await ttl.evaluate((el) =>
        el
          .getAttribute("aria-describedby")
          ?.split(" ")
          .map((id) => document.getElementById(id)?.textContent),
      ),
    ).toEqual(["ms"]);
    expect(await form.getByLabel(/^Share/).inputValue()).toBe("40");
    expect(await form.locator('[data-field="share"] .range-value').textContent()).toBe("40 %");
    expect(await form.getByLabel(/^Region/).inputValue()).toBe("us");
    expect(await form.getByLabel(/^Warm up/).isChecked()).toBe(true);
    expect(await form.locator('[data-field="warm"]').textContent()).toContain("Preloads the hot keys first");

    await form.getByRole("button", { name: "Not now" }).click();
    await expect.poll(async () => (await agentReview(agent, msg.id)).response).toEqual({ _dismissed: true });
    // Shown as dismissed afterwards, in the chat and in the inbox.
    const done = page.locator(`[data-message-id="${msg.id}"] [data-review-state="completed"]`);
    await done.waitFor();
    expect(await done.locator(".review-head").textContent()).toContain("Dismissed");
    await page.goto(`/?agent=${agent.id}&status=completed`);
    await page
      .locator(`.inbox-item[data-id="${msg.id}"]`)
      .getByText(/^Dismissed/)
      .waitFor();
  });
});
