// Answer links against the real `wrangler dev` (issue 17), with curl as a person's browser would be: the
// link's GET reaches the Worker (not the SPA: wrangler.toml's run_worker_first) and only shows the review;
// the form's POST answers it once, via "link", and the agent's long-poll returns that answer.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";

const run = promisify(execFile);

/** curl with the headers in the output: `{status, headers, body}`. */
async function curl(args: string[]) {
  const { stdout } = await run("curl", ["-s", "-i", ...args], { maxBuffer: 4 * 1024 * 1024 });
  const split = stdout.indexOf("\r\n\r\n");
  const head = stdout.slice(0, split);
  const [statusLine, ...lines] = head.split("\r\n");
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine!.split(" ")[1]), headers, body: stdout.slice(split + 4) };
}

describe("answer links through wrangler dev", () => {
  it("GET shows, POST answers once, the agent's wait gets it", async () => {
    const { channelId, apiKey } = await newAgent("Link e2e bot");
    const posted = await fetch(`${nodUrl()}/api/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: JSON.stringify({
        channelId,
        text: "Roll out <v3> **now**?",
        review: {
          type: "approval",
          payload: {
            options: [
              { id: "go", label: "Go", style: "primary" },
              { id: "stop", label: "Stop", style: "danger" },
            ],
          },
        },
      }),
    });
    expect(posted.status).toBe(201);
    const { id } = (await posted.json()) as { id: string };
    // A JSON body (even empty) passes the user API's CSRF guard, as the web app's calls do.
    const link = await asOwner("POST", `/api/messages/${id}/answer-link`, {});
    expect(link.status).toBe(201);
    const url: string = link.json.url;
    expect(url).toMatch(new RegExp(`^${nodUrl()}/r/[A-Za-z0-9_-]{43}$`));

    for (let i = 0; i < 2; i++) {
      const page = await curl([url]);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'/);
      expect(page.headers.get("cache-control")).toBe("no-store");
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      expect(page.body).toContain("Roll out &lt;v3&gt; <strong>now</strong>?"); // markdown, its raw HTML escaped
      expect(page.body).toContain('name="selectedOption" value="go"');
      expect(page.body).not.toContain('<div id="root"'); // not the SPA
    }
    const tampered = await curl([`${url.slice(0, -2)}xx`]);
    expect(tampered.status).toBe(404);

    const waitUrl = `${nodUrl()}/api/v1/reviews/${id}/wait?channel=${channelId}&timeout=20000`;
    const wait = fetch(waitUrl, { headers: { "x-api-key": apiKey } }).then((r) => r.json() as Promise<any>);
    const answer = await curl(["--data-urlencode", "feedback=from curl", "--data-urlencode", "selectedOption=go", url]);
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toContain("Your answer was sent");
    const waited = await wait;
    expect(waited.status).toBe("completed");
    expect(waited.message.review).toMatchObject({ response: { selectedOption: "go" }, feedback: "from curl", via: "link", resolution: "person" });

    const again = await curl(["--data-urlencode", "selectedOption=stop", url]);
    expect(again.status).toBe(409);
    expect(again.body).toContain("This link was already used");
    const after = await curl([url]);
    expect(after.status).toBe(200);
    expect(after.body).toContain("Answered by you through an answer link");
    expect(after.body).not.toContain("<form");
  });
});
