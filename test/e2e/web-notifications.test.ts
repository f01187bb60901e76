// Settings → Notifications in the browser, against a `wrangler dev` server of its own (loopback http
// allowed, no PUBLIC_URL): a signed webhook channel pointing at a receiver here shows its secret once,
// "Send test" reaches the receiver (a signed `notification:test` event) and turns the status OK; an ntfy
// channel's token shows as "token set" and never itself; URLs the server refuses (a private address, http
// elsewhere than loopback) show its words at the URL field and store nothing; an agent's level and quiet
// hours survive a reload, and a time zone nobody knows is refused at its field.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent, http, launchBrowser, login, OWNER, openApp, startFreshServer, type Opened } from "./web-helpers";

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
}

let browser: Browser;
let server: Awaited<ReturnType<typeof startFreshServer>>;
let receiver: Server;
const hits: Hit[] = [];
const opened: Opened[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      hits.push({ headers: req.headers, body });
      // "/down" is a receiver that fails.
      res.writeHead(req.url === "/down" ? 500 : 200, { "content-type": "text/plain" }).end(req.url === "/down" ? "broken" : "ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  [browser, server] = await Promise.all([launchBrowser(), startFreshServer()]);
});
afterAll(async () => {
  for (const o of opened.splice(0)) {
    expect(o.problems, `page errors or CSP violations: ${o.problems.join(" | ")}`).toEqual([]);
    await o.context.close();
  }
  await browser?.close();
  await server?.dispose();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const section = (page: Page, name: string) => page.getByRole("region", { name, exact: true });

describe("Settings → Notifications", () => {
  it("adds, tests, edits and deletes channels, sets an agent's level and quiet hours", { timeout: 120_000 }, async () => {
    const setup = await http(server.url, "POST", "/api/auth/setup", { ...OWNER, displayName: "Olivia" }, { origin: server.url });
    expect(setup.status).toBeLessThan(300);
    const cookie = await login(server.url, OWNER.email, OWNER.password);
    const asOwner = (method: string, path: string, body?: unknown) => http(server.url, method, path, body, { cookie, origin: server.url });
    const agent = await createAgent(server.url, cookie, "Deploy bot");

    const o = await openApp(browser, server.url, { cookie });
    opened.push(o);
    const { page } = o;
    await page.goto("/settings/notifications");
    const channels = section(page, "Channels");
    const add = section(page, "Add channel");
    await channels.getByText("No channels yet.").waitFor();
    // This server has no PUBLIC_URL: the page says notifications carry no answer links.
    await expect(channels.getByText(/no public URL/).isVisible()).resolves.toBe(true);

    // A signed webhook to the receiver here: its secret is shown once.
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await add.getByLabel("Kind").selectOption("webhook");
    await add.getByText(/signed with a secret, shown once/).waitFor();
    await add.getByLabel("Name").fill("My receiver");
    await add.getByRole("textbox", { name: "URL", exact: true }).fill(receiverUrl);
    await add.getByRole("button", { name: "Add channel" }).click();
    const dialog = page.getByRole("dialog");
    const secretField = dialog.getByLabel("Signing secret");
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^whsec_/);
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });
    const hook = channels.locator("li.channel-item", { hasText: "My receiver" });
    await hook.getByText("Untested").waitFor();
    await expect(hook.getByText(receiverUrl).isVisible()).resolves.toBe(true);
    expect(await page.content()).not.toContain(secret);

    // "Send test": the receiver gets a signed notification:test event; the status turns OK.
    await hook.getByRole("button", { name: "Send test to My receiver" }).click();
    await hook.getByText("Test sent (HTTP 200).").waitFor();
    await hook.getByText("OK", { exact: true }).waitFor();
    await expect(hook.getByText(/Last attempt .* \(HTTP 200\)/).isVisible()).resolves.toBe(true);
    expect(hits).toHaveLength(1);
    const hit = hits[0]!;
    expect(JSON.parse(hit.body).type).toBe("notification:test");
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    const signed = `v1,${createHmac("sha256", key).update(`${hit.headers["webhook-id"]}.${hit.headers["webhook-timestamp"]}.${hit.body}`).digest("base64")}`;
    expect(String(hit.headers["webhook-signature"]).split(" ")).toContain(signed);

    // A receiver that fails: the status says so, with the error and the failures counted.
    await add.getByLabel("Kind").selectOption("webhook");
    await add.getByLabel("Name").fill("Broken");
    await add.getByRole("textbox", { name: "URL", exact: true }).fill(receiverUrl.replace("/hook", "/down"));
    await add.getByRole("button", { name: "Add channel" }).click();
    await dialog.getByRole("button", { name: "Done" }).click();
    const broken = channels.locator("li.channel-item", { hasText: "Broken" });
    await broken.getByRole("button", { name: "Send test to Broken" }).click();
    await broken.getByText(/^Test failed \(HTTP 500\)/).waitFor();
    await broken.getByText("Failing", { exact: true }).waitFor();
    await broken.getByText(/^Last error: /).waitFor();
    await expect(broken.getByText(/\d+ failed attempts? since the last success/).isVisible()).resolves.toBe(true);
    await broken.getByRole("button", { name: "Delete Broken" }).click();
    await page.getByRole("button", { name: "Delete channel" }).click();
    await broken.waitFor({ state: "detached" });
    hits.splice(0);

    // An ntfy channel with a token: "token set", never the token.
    const token = "tk_e2enotificationtoken42";
    await add.getByLabel("Kind").selectOption("ntfy");
    await add.getByLabel("Name").fill("Phone");
    await add.getByRole("textbox", { name: "URL", exact: true }).fill("https://ntfy.sh/nod-e2e-topic");
    await add.getByLabel("Access token (optional)").fill(token);
    await add.getByRole("button", { name: "Add channel" }).click();
    const phone = channels.locator("li.channel-item", { hasText: "Phone" });
    await phone.getByText("token set").waitFor();
    expect(await page.content()).not.toContain(token);
    await expect(add.getByLabel("Access token (optional)").inputValue()).resolves.toBe("");

    // URLs the server refuses: its words at the URL field, nothing stored.
    for (const [kind, url, words] of [
      ["webhook", "http://10.0.0.1/x", /^cannot receive notifications: the address 10\.0\.0\.1 is .*, not public$/],
      ["ntfy", "http://example.com/topic", /^cannot receive notifications: must be an https URL/],
    ] as const) {
      await add.getByLabel("Kind").selectOption(kind);
      await add.getByLabel("Name").fill("Refused");
      await add.getByRole("textbox", { name: "URL", exact: true }).fill(url);
      await add.getByRole("button", { name: "Add channel" }).click();
      const urlInput = add.getByRole("textbox", { name: "URL", exact: true });
      await add
        .locator(".field", { has: page.getByRole("textbox", { name: "URL", exact: true }) })
        .locator(".field-error")
        .getByText(words)
        .waitFor();
      await expect(urlInput.getAttribute("aria-invalid")).resolves.toBe("true");
    }
    // The contract's own schema, before anything is sent: an ntfy URL must name a topic.
    await add.getByRole("textbox", { name: "URL", exact: true }).fill("https://ntfy.sh/");
    await add.getByRole("button", { name: "Add channel" }).click();
    await add.getByText("must name an ntfy topic: https://ntfy.sh/<topic>").waitFor();
    const stored = await asOwner("GET", "/api/notifications/channels");
    expect(stored.json.data.map((c: { name: string }) => c.name)).toEqual(["My receiver", "Phone"]);
    expect(stored.json.answerLinks).toBe(false);
    expect(JSON.stringify(stored.json)).not.toContain(token);

    // Edit: remove the token, turn the channel off.
    await phone.getByRole("button", { name: "Edit Phone" }).click();
    await phone.getByLabel("Remove the access token").check();
    await phone.getByRole("button", { name: "Save changes" }).click();
    await phone.getByText("token set").waitFor({ state: "detached" });
    await phone.getByRole("switch", { name: "Send to Phone" }).click();
    await phone.getByText("Off", { exact: true }).waitFor();
    const phoneAfter = (await asOwner("GET", "/api/notifications/channels")).json.data.find((c: { name: string }) => c.name === "Phone");
    expect(phoneAfter).toMatchObject({ hasToken: false, enabled: false });

    // Delete, confirmed.
    await phone.getByRole("button", { name: "Delete Phone" }).click();
    await page.getByRole("button", { name: "Delete channel" }).click();
    await phone.waitFor({ state: "detached" });
    expect((await asOwner("GET", "/api/notifications/channels")).json.data).toHaveLength(1);

    // What the agent sends: reviews only, still so after a reload.
    const levels = section(page, "What each agent sends you");
    await levels.getByLabel("Deploy bot").selectOption("reviews");
    await expect.poll(async () => (await asOwner("GET", "/api/notifications/agents")).json.data).toEqual([{ agentId: agent.id, level: "reviews" }]);

    // Quiet hours: on, 22:30 to 06:15 in Berlin.
    const quiet = section(page, "Quiet hours");
    await quiet
      .getByText(/urgent/)
      .first()
      .waitFor();
    await quiet.getByRole("switch", { name: "Quiet hours" }).check();
    await expect(quiet.getByLabel("Time zone").inputValue()).resolves.toBe(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone));
    await quiet.getByLabel("From").fill("22:30");
    await quiet.getByLabel(/^To\b/).fill("06:15");
    await quiet.getByLabel("Time zone").fill("Europe/Berlin");
    await quiet.getByRole("button", { name: "Save quiet hours" }).click();
    await expect
      .poll(async () => (await asOwner("GET", "/api/preferences")).json.quietHours)
      .toEqual({ from: "22:30", to: "06:15", timeZone: "Europe/Berlin" });

    await page.reload();
    await section(page, "What each agent sends you").getByLabel("Deploy bot").waitFor();
    await expect(section(page, "What each agent sends you").getByLabel("Deploy bot").inputValue()).resolves.toBe("reviews");
    const quietAgain = section(page, "Quiet hours");
    await expect(quietAgain.getByRole("switch", { name: "Quiet hours" }).isChecked()).resolves.toBe(true);
    await expect(quietAgain.getByLabel("From").inputValue()).resolves.toBe("22:30");
    await expect(quietAgain.getByLabel(/^To\b/).inputValue()).resolves.toBe("06:15");
    await expect(quietAgain.getByLabel("Time zone").inputValue()).resolves.toBe("Europe/Berlin");
    // The secret is not on the page after a reload either.
    await section(page, "Channels").getByText("My receiver").waitFor();
    expect(await page.content()).not.toContain(secret);

    // A time zone nobody knows: an error at its field, nothing saved.
    await quietAgain.getByLabel("Time zone").fill("Mars/Olympus_Mons");
    await quietAgain.getByRole("button", { name: "Save quiet hours" }).click();
    await quietAgain.getByText(/must be an IANA time zone/).waitFor();
    await expect(quietAgain.getByLabel("Time zone").getAttribute("aria-invalid")).resolves.toBe("true");
    expect((await asOwner("GET", "/api/preferences")).json.quietHours.timeZone).toBe("Europe/Berlin");
    // The server says the same when asked directly.
    const refused = await asOwner("PATCH", "/api/preferences", { quietHours: { from: "22:00", to: "07:00", timeZone: "Mars/Olympus_Mons" } });
    expect(refused.status).toBe(400);

    // Off again.
    await quietAgain.getByRole("switch", { name: "Quiet hours" }).uncheck();
    await quietAgain.getByRole("button", { name: "Save quiet hours" }).click();
    await expect.poll(async () => (await asOwner("GET", "/api/preferences")).json.quietHours).toBeNull();
  });
});
