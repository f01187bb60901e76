// The Files page and share links in Debian's Chromium (playwright-core) against a real `wrangler dev`
// server of its own (so the grid holds exactly these files): files of several kinds from two agents,
// filtered by kind, agent and name; two of them downloaded as one ZIP made in the browser; a file's
// message one click away; and "Copy link" on a chat preview giving a link that downloads without a
// session. README's screenshot of the page goes to docs/screenshots/ when UPDATE_SCREENSHOTS=1.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent, http, launchBrowser, login, openApp, OWNER, screenshotDir, png, startFreshServer, type Opened, type TestAgent } from "./web-helpers";

const text = (s: string) => new Uint8Array(new TextEncoder().encode(s));

/** The files, by agent: name, type, bytes. */
const FILES: Record<"research" | "design", [string, string, Uint8Array<ArrayBuffer>][]> = {
  research: [
    ["q3-report.pdf", "application/pdf", text("%PDF-1.4\n% a report\n%%EOF\n")],
    ["revenue-chart.png", "image/png", png(160, 120, (x, y) => [40 + x, 90 + (y >> 1), 200 - (x >> 1)])],
    ["findings.md", "text/markdown", text("# Findings\n\n- churn is down 4%\n")],
    ["dataset.json", "application/json", text('{"rows": 1200}\n')],
  ],
  design: [
    ["homepage-mock.png", "image/png", png(160, 120, (x, y) => [230 - y, 120 + (x >> 2), 90 + y])],
    ["walkthrough.mp4", "video/mp4", text("not really a video")],
    ["jingle.mp3", "audio/mpeg", text("not really audio")],
    ["brand-kit.zip", "application/zip", text("PK not really a zip")],
  ],
};
const ALL_NAMES = [...FILES.research, ...FILES.design].map(([name]) => name).sort();
const bytesOf = (name: string) => [...FILES.research, ...FILES.design].find(([n]) => n === name)![2];

let browser: Browser;
let server: Awaited<ReturnType<typeof startFreshServer>>;
let cookie: string;
let research: TestAgent;
let design: TestAgent;
/** The message of each file, by name. */
const messageOf: Record<string, string> = {};
const opened: Opened[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startFreshServer();
  const setup = await http(server.url, "POST", "/api/auth/setup", { ...OWNER, displayName: "Ada Owner" });
  if (setup.status !== 201) throw new Error(`setup: ${setup.status} ${JSON.stringify(setup.json)}`);
  cookie = await login(server.url, OWNER.email, OWNER.password);
  research = await createAgent(server.url, cookie, "Research bot");
  design = await createAgent(server.url, cookie, "Design bot");
  for (const [agent, files] of [
    [research, FILES.research],
    [design, FILES.design],
  ] as const) {
    for (const [name, type, bytes] of files) messageOf[name] = (await agent.upload(name, type, bytes, `Here is ${name}`)).id;
  }
}, 120_000);

afterAll(async () => {
  for (const o of opened.splice(0)) await o.context.close();
  await browser?.close();
  await server?.dispose();
});

/** The app signed in, on `path`; checked for page errors and CSP violations when the test ends. */
async function open(path: string) {
  const o = await openApp(browser, server.url, { cookie });
  opened.push(o);
  await o.page.goto(path);
  return o;
}

function noProblems(o: Opened) {
  expect(o.problems, `page errors or CSP violations: ${o.problems.join(" | ")}`).toEqual([]);
}

/** The file names in the grid, sorted. */
const shown = async (page: Page) => (await page.locator(".file-tile-name").evaluateAll((els) => els.map((e) => (e as HTMLElement).title))).sort();

/** Waits until the grid shows exactly `names`. */
async function expectShown(page: Page, names: string[]) {
  await expect.poll(() => shown(page), { timeout: 10_000 }).toEqual([...names].sort());
}

const tile = (page: Page, name: string) => page.locator(".file-tile", { has: page.locator(`.file-tile-name[title="${name}"]`) });

describe("the Files page", () => {
  it("lists every file across agents; the kind, the agent and a search narrow the grid", async () => {
    const o = await open("/");
    const { page } = o;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Files" }).click();
    await page.waitForURL("**/files");
    await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
    await expectShown(page, ALL_NAMES);
    // Images are thumbnails of the file itself; the others an icon of their kind.
    await expect
      .poll(() =>
        tile(page, "revenue-chart.png")
          .locator("img")
          .evaluate((img: HTMLImageElement) => img.naturalWidth),
      )
      .toBe(160);
    expect(await tile(page, "q3-report.pdf").locator("img").count()).toBe(0);
    expect(await tile(page, "q3-report.pdf").locator(".file-tile-icon").textContent()).toBe("PDF");
    expect(await tile(page, "jingle.mp3").textContent()).toContain("Design bot");

    const screenshot = join(screenshotDir(), "files.png");
    await page.screenshot({ path: screenshot });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe("PNG");

    const kind = page.getByRole("group", { name: "Kind" });
    await kind.getByRole("button", { name: "Images" }).click();
    await expectShown(page, ["homepage-mock.png", "revenue-chart.png"]);
    expect(page.url()).toContain("type=image");
    await kind.getByRole("button", { name: "Text & code" }).click();
    await expectShown(page, ["dataset.json", "findings.md"]);
    await kind.getByRole("button", { name: "PDFs" }).click();
    await expectShown(page, ["q3-report.pdf"]);
    await kind.getByRole("button", { name: "Videos" }).click();
    await expectShown(page, ["walkthrough.mp4"]);
    await kind.getByRole("button", { name: "Audio" }).click();
    await expectShown(page, ["jingle.mp3"]);
    await kind.getByRole("button", { name: "Other" }).click();
    await expectShown(page, ["brand-kit.zip"]);
    await kind.getByRole("button", { name: "All" }).click();
    await expectShown(page, ALL_NAMES);

    await page.getByLabel("Agent", { exact: true }).selectOption({ label: "Research bot" });
    await expectShown(
      page,
      FILES.research.map(([n]) => n),
    );
    await kind.getByRole("button", { name: "Images" }).click();
    await expectShown(page, ["revenue-chart.png"]);
    await kind.getByRole("button", { name: "All" }).click();
    await page.getByLabel("Agent", { exact: true }).selectOption({ label: "All agents" });
    await expectShown(page, ALL_NAMES);

    await page.getByRole("searchbox", { name: "Search files by name" }).fill("REPORT");
    await expectShown(page, ["q3-report.pdf"]);
    await page.getByRole("searchbox", { name: "Search files by name" }).fill("mock");
    await expectShown(page, ["homepage-mock.png"]);
    await page.getByRole("searchbox", { name: "Search files by name" }).fill("nothing like it");
    await page.getByText("No files here.").waitFor();
    await page.getByRole("searchbox", { name: "Search files by name" }).fill("");
    await expectShown(page, ALL_NAMES);
    noProblems(o);
  });

  it("downloads two selected files as one ZIP made in the browser", async () => {
    const o = await open("/files");
    const { page } = o;
    await expectShown(page, ALL_NAMES);
    await page.getByRole("checkbox", { name: "Select revenue-chart.png" }).check();
    await page.getByRole("checkbox", { name: "Select findings.md" }).check();
    await page.getByRole("toolbar", { name: "Selection" }).getByText("2 selected").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download ZIP" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^nod-files-\d{4}-\d{2}-\d{2}\.zip$/);
    const zip = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    expect(Object.keys(zip).sort()).toEqual(["findings.md", "revenue-chart.png"]);
    expect(zip["revenue-chart.png"]).toEqual(bytesOf("revenue-chart.png"));
    expect(zip["findings.md"]).toEqual(bytesOf("findings.md"));
    noProblems(o);
  });

  it('a file\'s "Open message" link lands in the chat at that message', async () => {
    const o = await open("/files");
    const { page } = o;
    await expectShown(page, ALL_NAMES);
    await page.getByRole("link", { name: "Open message of jingle.mp3" }).click();
    await page.waitForURL(`**/chat/${design.id}?m=${messageOf["jingle.mp3"]}`);
    const message = page.locator(`#m-${messageOf["jingle.mp3"]}`);
    await message.waitFor();
    await expect.poll(() => message.textContent()).toContain("Here is jingle.mp3");
    await expect
      .poll(() => message.evaluate((el) => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().bottom <= window.innerHeight))
      .toBe(true);
    noProblems(o);
  });

  it('"Copy link" on a chat preview copies a link that downloads without cookies, until revoked', async () => {
    const o = await open(`/chat/${research.id}`);
    const { page, context } = o;
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const message = page.locator(`#m-${messageOf["revenue-chart.png"]}`);
    await message.waitFor();
    await message.getByRole("button", { name: "Copy link" }).click();
    await page.getByText(/^Link copied\./).waitFor();
    const url = await page.evaluate(() => navigator.clipboard.readText());
    expect(url).toMatch(new RegExp(`^${server.url}/api/share/[A-Za-z0-9_-]{43}$`));

    // Anyone: no cookie at all.
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="revenue-chart.png"/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytesOf("revenue-chart.png"));

    // The owner revokes the file's links: the link then serves nothing, and says nothing.
    const files = await http(server.url, "GET", `/api/files?search=revenue-chart`, undefined, { cookie });
    const fileId = files.json.data[0].id as string;
    const revoked = await http(server.url, "DELETE", `/api/files/${fileId}/share`, undefined, { cookie, origin: server.url });
    expect(revoked.json).toEqual({ revoked: 1 });
    const after = await fetch(url);
    expect(after.status).toBe(404);
    expect(await after.text()).toBe("");

    // The Files page's tiles have the button too.
    const files2 = await open("/files");
    await expectShown(files2.page, ALL_NAMES);
    await files2.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    await tile(files2.page, "q3-report.pdf").getByRole("button", { name: "Copy link" }).click();
    await files2.page.getByText(/^Link copied\./).waitFor();
    const pdfUrl = await files2.page.evaluate(() => navigator.clipboard.readText());
    expect(new Uint8Array(await (await fetch(pdfUrl)).arrayBuffer())).toEqual(bytesOf("q3-report.pdf"));
    noProblems(o);
    noProblems(files2);
  });

  it("a file an agent sends while the page is open shows up, and goes with its message", async () => {
    const o = await open("/files");
    const { page } = o;
    await expectShown(page, ALL_NAMES);
    await page.getByRole("img", { name: "Live updates: live" }).waitFor({ timeout: 15_000 });
    const late = await design.upload(
      "late-sketch.png",
      "image/png",
      png(40, 30, () => [200, 80, 80]),
      "One more",
    );
    await expectShown(page, [...ALL_NAMES, "late-sketch.png"]);
    const retracted = await http(server.url, "DELETE", `/api/v1/messages/${late.id}?channel=${design.id}`, undefined, { "x-api-key": design.key });
    expect(retracted.status).toBeLessThan(300);
    await expectShown(page, ALL_NAMES);
    noProblems(o);
  });
});
