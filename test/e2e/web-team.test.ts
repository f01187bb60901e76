// Team decisions in the web app: two people in two browser contexts (the owner and a member) against a
// `wrangler dev` server of their own. The owner shares an agent from its settings; the member sees who
// shared it and none of its webhook. The agent asks for an approval that needs two votes from anyone;
// the owner approves in their browser, the member's page shows that vote live ("1 of 2"), the member
// approves, and both pages show the review decided by quorum with both votes while the agent's
// long-poll returns it completed with both. A review assigned to the member alone is read-only for
// the owner ("Waiting for …"), counts in the member's badge only, and is in their "Assigned to me" view;
// a second vote from a page that missed the first is refused with the server's words in a toast.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent, http, launchBrowser, login, openApp, startFreshServer, type Opened } from "./web-helpers";

const OWNER = { email: "olivia@example.com", password: "correct horse battery", displayName: "Olivia Owner" };
const MEMBER = { email: "bob@example.com", password: "another long password", displayName: "Bob Member" };

let browser: Browser;
let server: Awaited<ReturnType<typeof startFreshServer>>;
const opened: Opened[] = [];

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startFreshServer()]);
});
afterAll(async () => {
  for (const o of opened.splice(0)) {
    expect(o.problems, `page errors or CSP violations: ${o.problems.join(" | ")}`).toEqual([]);
    await o.context.close();
  }
  await browser?.close();
  await server?.dispose();
});

const approval = {
  type: "approval",
  payload: {
    options: [
      { id: "approve", label: "Approve", style: "primary" },
      { id: "reject", label: "Reject", style: "danger" },
    ],
  },
};

async function open(cookie: string, path: string) {
  const o = await openApp(browser, server.url, { cookie });
  opened.push(o);
  await o.page.goto(path);
  return o.page;
}

/** Waits until the live connection is up (the dot in the sidebar says so). */
async function live(page: Page) {
  await page.getByRole("img", { name: "Live updates: live" }).waitFor({ timeout: 15_000 });
}

/** The inbox's badge: how many reviews wait on this person (0 when it is not shown). */
async function badge(page: Page) {
  const b = page.locator(".nav-link .badge");
  return (await b.count()) ? Number(await b.locator("[aria-hidden]").textContent()) : 0;
}

interface Vote {
  userId: string;
  displayName: string;
  response: Record<string, unknown>;
}
interface WaitedReview {
  status: string;
  response: Record<string, unknown> | null;
  votes: Vote[];
  resolution: string | null;
}

describe("team decisions in two browsers", () => {
  it("shares an agent, votes to a quorum of two live in both pages, and keeps another's assignment read-only", async () => {
    // The owner (first run) and a member they create.
    const setup = await http(server.url, "POST", "/api/auth/setup", OWNER, { origin: server.url });
    expect(setup.status).toBeLessThan(300);
    const ownerCookie = await login(server.url, OWNER.email, OWNER.password);
    const asOwner = (method: string, path: string, body?: unknown) => http(server.url, method, path, body, { cookie: ownerCookie, origin: server.url });
    const created = await asOwner("POST", "/api/users", { ...MEMBER, role: "member" });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const memberId = created.json.id as string;
    const memberCookie = await login(server.url, MEMBER.email, MEMBER.password);
    const ownerId = (await asOwner("GET", "/api/auth/me")).json.id as string;
    const agent = await createAgent(server.url, ownerCookie, "Deploy bot");

    // The owner shares the agent from its settings.
    const a = await open(ownerCookie, "/settings/agents");
    const ownerCard = a.locator(`#agent-${agent.id}`);
    await ownerCard.getByRole("button", { name: "Members" }).click();
    const ownerMembers = ownerCard.getByRole("list", { name: "Members" });
    await ownerMembers.getByText(OWNER.displayName).waitFor();
    await ownerCard.getByLabel(/^Add a member by email/).fill(MEMBER.email);
    await ownerCard.getByRole("button", { name: "Add member" }).click();
    await ownerMembers.getByText(MEMBER.displayName).waitFor();
    const members = await asOwner("GET", `/api/agents/${agent.id}/members`);
    expect(members.status).toBe(200);
    const memberList = (Array.isArray(members.json) ? members.json : members.json.data) as { id: string; role: string }[];
    expect(memberList.map((m) => [m.id, m.role])).toEqual([
      [ownerId, "owner"],
      [memberId, "member"],
    ]);

    // The member sees who shared it, and nothing of its webhook or its editor.
    const b = await open(memberCookie, "/settings/agents");
    const memberCard = b.locator(`#agent-${agent.id}`);
    await memberCard.getByText(`Shared with you by ${OWNER.displayName}`).waitFor();
    expect(await memberCard.getByRole("button", { name: "Edit" }).count()).toBe(0);
    expect(await memberCard.locator("dt", { hasText: "Webhook" }).count()).toBe(0);
    expect(await ownerCard.locator("dt", { hasText: "Webhook" }).count()).toBe(1);
    await memberCard.getByRole("button", { name: "Members" }).click();
    await memberCard.getByRole("list", { name: "Members" }).getByText(MEMBER.displayName).waitFor();
    expect(await memberCard.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
    expect(await memberCard.getByRole("button", { name: "Add member" }).count()).toBe(0);

    // Both in the inbox, live.
    await Promise.all([a.goto(`/?agent=${agent.id}`), b.goto(`/?agent=${agent.id}`)]);
    await Promise.all([live(a), live(b)]);

    const asked = await agent.post({ text: "Ship v3 to production?", review: { ...approval, quorum: { count: 2 } } });
    const cardA = a.locator(`.inbox-detail-pane [data-review-type="approval"]`);
    const cardB = b.locator(`.inbox-detail-pane [data-review-type="approval"]`);
    await Promise.all([a.locator(`.inbox-item[data-id="${asked.id}"]`).click(), b.locator(`.inbox-item[data-id="${asked.id}"]`).click()]);
    for (const card of [cardA, cardB]) {
      await expect.poll(() => card.locator("[data-quorum-progress]").textContent()).toBe("0 of 2 votes");
      expect(await card.locator("[data-assignees]").textContent()).toBe("any member");
    }
    // The list shows the progress too.
    expect(await b.locator(`.inbox-item[data-id="${asked.id}"] [data-quorum-progress]`).textContent()).toBe("0 of 2 votes");

    // A approves: their card turns read-only, waiting on anyone else; B sees A's vote arrive.
    await cardA.getByRole("button", { name: "Approve" }).click();
    await cardA.locator("[data-readonly]").getByText("Waiting for any other member").waitFor();
    await cardA.getByText("You voted Approve.").waitFor();
    expect(await cardA.getByRole("button", { name: "Approve" }).count()).toBe(0);

    await expect.poll(() => cardB.locator("[data-quorum-progress]").textContent(), { timeout: 10_000 }).toBe("1 of 2 approvals");
    await cardB.getByRole("list", { name: "Votes" }).getByText(OWNER.displayName).waitFor();
    await expect.poll(() => b.locator(`.inbox-item[data-id="${asked.id}"] [data-quorum-progress]`).textContent()).toBe("1 of 2 approvals");
    // Still B's to answer.
    expect(await cardB.locator("[data-readonly]").count()).toBe(0);

    // B approves: both pages show it decided by quorum, with both votes; the agent's long-poll returns.
    const waiting = agent.wait(asked.id);
    await cardB.getByRole("button", { name: "Approve" }).click();
    for (const card of [cardA, cardB]) {
      await expect.poll(() => card.getAttribute("data-review-state"), { timeout: 10_000 }).toBe("completed");
      await expect.poll(() => card.locator("[data-settled]").textContent()).toBe("Decided by quorum (2 of 2)");
      await expect.poll(() => card.getByRole("list", { name: "Votes" }).getByRole("listitem").count()).toBe(2);
    }
    expect(await cardB.getByRole("list", { name: "Votes" }).textContent()).toContain(OWNER.displayName);
    expect(await cardA.getByRole("list", { name: "Votes" }).textContent()).toContain(MEMBER.displayName);

    const result = (await waiting) as { status: string; message: { review: WaitedReview } };
    expect(result.status).toBe("completed");
    expect(result.message.review.response).toEqual({ selectedOption: "approve" });
    expect(result.message.review.resolution).toBe("quorum");
    expect(result.message.review.votes.map((v) => [v.userId, v.response])).toEqual([
      [ownerId, { selectedOption: "approve" }],
      [memberId, { selectedOption: "approve" }],
    ]);

    // The trail of the review lists who did what.
    await cardB.getByText("Trail").click();
    const trail = cardB.getByRole("list", { name: "Trail of this review" });
    await trail.locator('[data-action="posted"]').waitFor();
    await expect.poll(async () => (await trail.textContent()) ?? "").toContain(MEMBER.displayName);
    expect(await trail.textContent()).toContain(OWNER.displayName);

    // A review assigned to the member alone: read-only for the owner, in the member's "Assigned to me"
    // and badge, in the owner's "Waiting on others" and not in their badge.
    await Promise.all([a.goto(`/?agent=${agent.id}`), b.goto(`/?agent=${agent.id}`)]);
    await Promise.all([live(a), live(b)]);
    const assigned = await agent.post({ text: "Rotate the database password?", review: { ...approval, assignees: [MEMBER.email], priority: "urgent" } });
    await Promise.all([a.locator(`.inbox-item[data-id="${assigned.id}"]`).click(), b.locator(`.inbox-item[data-id="${assigned.id}"]`).click()]);
    await cardA.locator("[data-readonly]").getByText(`Waiting for ${MEMBER.displayName}`).waitFor();
    expect(await cardA.getByRole("button", { name: "Approve" }).count()).toBe(0);
    expect(await cardA.locator('[data-priority="urgent"]').textContent()).toBe("Urgent");
    await cardB.getByRole("button", { name: "Approve" }).waitFor();
    await expect.poll(() => badge(b)).toBe(1);
    await expect.poll(() => badge(a)).toBe(0);

    // The assignee can take the review elsewhere: "Copy answer link" makes a link that opens it without a session.
    expect(await cardA.getByRole("button", { name: "Copy answer link" }).count()).toBe(0);
    const [minted] = await Promise.all([
      b.waitForResponse((r) => r.url().endsWith(`/api/messages/${assigned.id}/answer-link`)),
      cardB.getByRole("button", { name: "Copy answer link" }).click(),
    ]);
    expect(minted.status()).toBe(201);
    const link = await fetch((await minted.json()).url);
    expect(link.status).toBe(200);
    expect(await link.text()).toContain("Rotate the database password?");

    // The team views are radios in labels: a click on the label picks one, as a person does.
    const view = (page: Page, name: string) => page.locator("label.seg", { has: page.getByRole("radio", { name }) });
    await view(b, "Assigned to me").click();
    expect(await b.getByRole("radio", { name: "Assigned to me" }).isChecked()).toBe(true);
    await b.locator(`.inbox-item[data-id="${assigned.id}"]`).waitFor();
    expect(await b.locator(".inbox-item").count()).toBe(1);
    await view(a, "Waiting on others").click();
    await a.locator(`.inbox-item[data-id="${assigned.id}"]`).waitFor();
    expect(await a.locator(".inbox-item").count()).toBe(1);
    await view(a, "Answered by me").click();
    await a.locator(`.inbox-item[data-id="${asked.id}"]`).waitFor();
    expect(await a.locator(`.inbox-item[data-id="${assigned.id}"]`).count()).toBe(0);

    // The owner answering anyway (as the API would be asked) is refused, and says why.
    const refused = await asOwner("POST", `/api/messages/${assigned.id}/respond`, { response: { selectedOption: "approve" } });
    expect(refused.status).toBe(403);

    // A vote the page did not hear of (its live connection cut): a second vote from it is a 409, shown
    // as a toast in the server's words.
    await b.route("**/socket.io/**", (route) => route.abort());
    const again = await agent.post({ text: "Roll back v2?", review: { ...approval, quorum: { count: 2 } } });
    await b.goto(`/?agent=${agent.id}&id=${again.id}`);
    await cardB.getByRole("button", { name: "Approve" }).waitFor();
    const elsewhere = await http(
      server.url,
      "POST",
      `/api/messages/${again.id}/respond`,
      { response: { selectedOption: "approve" } },
      { cookie: memberCookie, origin: server.url },
    );
    expect(elsewhere.status).toBe(200);
    await cardB.getByRole("button", { name: "Approve" }).click();
    await b
      .locator(".toasts .toast-error")
      .getByText(/already voted/)
      .waitFor();
    await b.unroute("**/socket.io/**");
  });
});
