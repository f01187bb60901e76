// Answer links inside workerd (issue 17): a link shows one pending review to one person without a session,
// and only a POST from its page answers it (via "link", as that person), once. Minting follows the review's
// policy (members only, assignees, settled reviews); tokens are stored as hashes and die with the review.
// The page renders the message's markdown with nothing but allowed tags (examples, and a fast-check property).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { addMember, agentWithKey, approval, call, setupOwner, type Person } from "./helpers";
import { browser, raw, type Bot } from "./api-helpers";
import { sleep } from "../common";
import { runMaintenance } from "../../worker/maintenance";
import { renderMarkdown } from "../../worker/answer-links/markdown";

let owner: Person;
let ann: Person;
let bob: Person;
let carl: Person; // a user of this Nod, but no member of the agent
let bot: Bot;

beforeAll(async () => {
  owner = browser(await setupOwner());
  ann = browser(await addMember(owner));
  bob = browser(await addMember(owner));
  carl = browser(await addMember(owner));
  bot = await agentWithKey(owner, "Link bot");
  for (const p of [ann, bob]) {
    const res = await owner.as("POST", `/api/agents/${bot.agent.id}/members`, { userId: p.id });
    expect(res.status, res.text).toBe(201);
  }
});

async function ask(review: Record<string, unknown>, text = "Ship it?") {
  const res = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text, review });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; review: Record<string, any> };
}

async function linkFor(p: Person, id: string) {
  const res = await p.as("POST", `/api/messages/${id}/answer-link`);
  expect(res.status, res.text).toBe(201);
  return res.json as { url: string; expiresAt: string };
}

const pathOf = (url: string) => new URL(url).pathname;
const tokenOf = (url: string) => pathOf(url).slice("/r/".length);

/** A form post, as the page's <form> sends it. */
function postForm(url: string, fields: [string, string][]) {
  return call("POST", pathOf(url), {
    raw: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://elsewhere.example" },
  });
}

const review = async (id: string) => {
  const res = await bot.v1("GET", `/reviews/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.json.review;
};

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("minting an answer link", () => {
  it("gives the owner and a member a link of their own that expires with the review; others get 404", async () => {
    const m = await ask(approval);
    const mine = await linkFor(owner, m.id);
    expect(mine.url).toMatch(/^http:\/\/nod\.test\/r\/[A-Za-z0-9_-]{43}$/);
    expect(mine.expiresAt).toBe(m.review.expiresAt);
    const anns = await linkFor(ann, m.id);
    expect(anns.url).not.toBe(mine.url);
    expect((await carl.as("POST", `/api/messages/${m.id}/answer-link`)).status).toBe(404);
    expect((await call("POST", `/api/messages/${m.id}/answer-link`)).status).toBe(401);
    // A message without a review has nothing to answer.
    const plain = await bot.v1("POST", "/messages", { channelId: bot.agent.id, text: "FYI" });
    expect((await owner.as("POST", `/api/messages/${plain.json.id}/answer-link`)).status).toBe(404);
  });

  it("follows the review's assignees (403 for anyone else) and refuses a settled review (409)", async () => {
    const m = await ask({ ...approval, assignees: [ann.email] });
    const refused = await owner.as("POST", `/api/messages/${m.id}/answer-link`);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.json.message).toContain("assigned to");
    await linkFor(ann, m.id);
    const answered = await ann.as("POST", `/api/messages/${m.id}/respond`, { response: { selectedOption: "approve" } });
    expect(answered.status, answered.text).toBe(200);
    expect((await ann.as("POST", `/api/messages/${m.id}/answer-link`)).status).toBe(409);
  });

  it("stores the token's SHA-256, never the token", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    const token = tokenOf(url);
    const { results } = await env.DB.prepare("SELECT * FROM answer_tokens WHERE message_id = ?").bind(m.id).all();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ token_hash: await sha256Hex(token), user_id: ann.id, channel_id: bot.agent.id, spent_at: null });
    expect(JSON.stringify(results)).not.toContain(token);
  });
});

describe("GET /r/:token", () => {
  it("shows the review with its controls, as often as asked, and never answers it", async () => {
    const m = await ask(approval, "Deploy <b>v2</b> to production?\nIt is Friday.");
    const { url } = await linkFor(ann, m.id);
    for (let i = 0; i < 3; i++) {
      const page = await call("GET", pathOf(url));
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.text).toContain("Link bot");
      // The text is markdown: its raw HTML is shown escaped, its line breaks kept.
      expect(page.text).toContain("<p>Deploy &lt;b&gt;v2&lt;/b&gt; to production?<br>It is Friday.</p>");
      expect(page.text).toContain('<form method="post"');
      expect(page.text).toMatch(/<button type="submit" name="selectedOption" value="approve" class="primary">Approve<\/button>/);
      expect(page.text).toContain('name="comment"');
      expect(page.text).toContain('name="feedback"');
      expect(page.text).not.toMatch(/<script/i);
    }
    const head = await raw("HEAD", pathOf(url));
    expect(head.status).toBe(200);
    expect((await review(m.id)).status).toBe("pending");
  });

  it("names the message's files without serving them", async () => {
    const res = await bot.v1("POST", "/messages", {
      channelId: bot.agent.id,
      text: "Merge this diff?",
      review: approval,
      textAttachments: [
        { content: "+ one line", filename: "a.diff" },
        { content: "+ another", filename: "b.diff" },
      ],
    });
    expect(res.status, res.text).toBe(201);
    const { url } = await linkFor(ann, res.json.id);
    const page = await call("GET", pathOf(url));
    expect(page.text).toContain("The message has 2 files attached");
    expect(page.text).not.toContain("+ one line");
    const plain = await ask(approval);
    expect((await call("GET", pathOf((await linkFor(ann, plain.id)).url))).text).not.toContain("attached");
  });

  it("sends a strict CSP whose style hash is the page's stylesheet, no-store, no referrer, noindex", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    for (const res of [await call("GET", pathOf(url)), await call("GET", "/r/nope")]) {
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).not.toContain("unsafe-inline");
      const hash = csp.match(/style-src 'sha256-([A-Za-z0-9+/=]+)'/)?.[1];
      const style = res.text.match(/<style>([\s\S]*?)<\/style>/)?.[1] ?? "";
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
      expect(hash).toBe(btoa(String.fromCharCode(...digest)));
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-robots-tag")).toContain("noindex");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("answers 404 with a page for a tampered, malformed or unknown token", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    const token = tokenOf(url);
    const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const t of [tampered, "short", `${token}x`, "A".repeat(43)]) {
      const res = await call("GET", `/r/${t}`);
      expect(res.status, t).toBe(404);
      expect(res.text).toContain("This link is not valid");
      expect((await postForm(`http://nod.test/r/${t}`, [["selectedOption", "approve"]])).status).toBe(404);
    }
    expect((await review(m.id)).status).toBe("pending");
  });

  it("stops with the review's expiry: 404, and the POST answers nothing", async () => {
    const m = await ask({ ...approval, expiresInSeconds: 1 });
    const { url, expiresAt } = await linkFor(ann, m.id);
    expect(expiresAt).toBe(m.review.expiresAt);
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 150);
    expect((await call("GET", pathOf(url))).status).toBe(404);
    expect((await postForm(url, [["selectedOption", "approve"]])).status).toBe(404);
    expect((await review(m.id)).status).toBe("expired");
  });

  it("ends when the person is no longer a member of the agent", async () => {
    const dan = browser(await addMember(owner));
    expect((await owner.as("POST", `/api/agents/${bot.agent.id}/members`, { userId: dan.id })).status).toBe(201);
    const m = await ask(approval);
    const { url } = await linkFor(dan, m.id);
    expect((await call("GET", pathOf(url))).status).toBe(200);
    expect((await owner.as("DELETE", `/api/agents/${bot.agent.id}/members/${dan.id}`)).status).toBe(200);
    expect((await call("GET", pathOf(url))).status).toBe(404);
    expect((await postForm(url, [["selectedOption", "approve"]])).status).toBe(404);
    expect((await review(m.id)).status).toBe("pending");
  });
});

/** The message's rendered markdown on its link's page. */
async function shownText(text: string) {
  const m = await ask(approval, text);
  const page = await call("GET", pathOf((await linkFor(ann, m.id)).url));
  expect(page.status).toBe(200);
  const md = page.text.match(/<section class="card md">([\s\S]*?)<\/section>/)?.[1];
  expect(md, page.text).toBeDefined();
  return { md: md!, page: page.text };
}

const ALLOWED_TAGS = new Set("p br strong em del code pre ul ol li blockquote hr table thead tbody tr th td h3 h4 h5 h6 a".split(" "));
const ALLOWED_ATTRS = new Set(["href", "title", "rel", "target", "class", "align", "start"]);

/** Every tag in rendered markdown is one we allow, with only allowed attributes; every `<` starts such a tag. */
function checkHtml(out: string) {
  expect(out).not.toMatch(/<script|<img|<iframe|<svg|<style|<input|<!--/i);
  const tag = /<\/?([a-zA-Z][\w-]*)((?:\s[\w-]+(?:="[^"<>]*")?)*)\s*>/g;
  for (const [, name, attrs] of out.matchAll(tag)) {
    expect(ALLOWED_TAGS.has(name!.toLowerCase()), name).toBe(true);
    for (const [, attr, value] of attrs!.matchAll(/\s([\w-]+)(?:="([^"]*)")?/g)) {
      expect(ALLOWED_ATTRS.has(attr!.toLowerCase()), attr).toBe(true);
      expect(attr).not.toMatch(/^on/i);
      if (attr === "href") expect(value).toMatch(/^(https?:\/\/|mailto:)/);
    }
  }
  // With the allowed tags taken out, no `<` is left: everything else was escaped as text.
  expect(out.replace(tag, "")).not.toContain("<");
  expect(out).not.toMatch(/href="\s*javascript:/i);
}

describe("the message's markdown on the link's page", () => {
  it("renders emphasis, lists, code blocks, tables and http(s) links", async () => {
    const { md } = await shownText(
      "Ship **v2** now?\n\n- one\n- two\n\n```sh\nnpm run deploy -- --env <prod>\n```\n\nSee [the diff](https://example.com/pr/1?a=1&b=2) or `git log`.\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    );
    expect(md).toContain("<strong>v2</strong>");
    expect(md).toMatch(/<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
    expect(md).toContain('<pre><code class="language-sh">npm run deploy -- --env &lt;prod&gt;\n</code></pre>');
    expect(md).toContain('<a href="https://example.com/pr/1?a=1&amp;b=2" rel="noopener noreferrer nofollow" target="_blank">the diff</a>');
    expect(md).toContain("<code>git log</code>");
    expect(md).toMatch(/<table>[\s\S]*<th>a<\/th>[\s\S]*<td>2<\/td>/);
    checkHtml(md);
  });

  it("shows raw HTML as text, never as tags", async () => {
    const { md, page } = await shownText(
      'Look: <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<iframe src="https://evil.example"></iframe> <b>bold?</b>',
    );
    expect(md).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(md).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(md).toContain("&lt;iframe src=&quot;https://evil.example&quot;&gt;&lt;/iframe&gt; &lt;b&gt;bold?&lt;/b&gt;");
    expect(page).not.toMatch(/<script|<img|<iframe|<b>/i);
    checkHtml(md);
  });

  it("keeps only http(s) and mailto links: a javascript: link is its text; an image is a link to it, never an <img>", async () => {
    const { md } = await shownText(
      "[click](javascript:alert(1)) [enc](javascript&#58;alert(1)) [rel](/api/me) <mailto:ann@example.com>\n\n![chart](https://example.com/c.png) ![inline](data:image/png;base64,AAAA)",
    );
    expect(md).not.toMatch(/href="(?!https?:|mailto:)/);
    expect(md).toContain("click enc rel");
    expect(md).toContain('<a href="mailto:ann@example.com"');
    expect(md).toContain('<a href="https://example.com/c.png" rel="noopener noreferrer nofollow" target="_blank">chart</a>');
    expect(md).toContain(" inline</p>");
    expect(md).not.toContain("<img");
    checkHtml(md);
  });

  it("demotes headings below the page's own h1", async () => {
    const { md, page } = await shownText("# Title\n\n## Part\n\ntext");
    expect(md).toContain("<h3>Title</h3>");
    expect(md).toContain("<h4>Part</h4>");
    expect(page.match(/<h1>/g)).toHaveLength(1);
  });

  it("lets nothing but the allowed tags through, whatever markdown and HTML are mixed (property)", () => {
    // biome-ignore format: a list of fragments reads better packed than one per line
    const fragments = [
      "<script>", "</script>", "<img src=x onerror=alert(1)>", "<iframe src=javascript:alert(1)>", "<svg onload=alert(1)>", "<style>", "<pre>",
      "</pre>", "<code>", '<a href="javascript:alert(1)">', "</a>", "<p onclick=x>", "<!--", "-->", "<![CDATA[", "<b", ">", "<", "&", "[x](", "](",
      ")", "(", "[", "]", "![i](", "javascript:alert(1)", "JaVaScRiPt&#58;", "&#x6A;avascript:", "java\tscript:", ' "t" ', "https://e.com/",
      "<https://e.com>", "<javascript:alert(1)>", "www.e.com", "a@b.co", "data:text/html,x", "[r]: javascript:x\n", "[r]", "\n", "\n\n", "```", "`",
      "**", "*", "_", "~~", "# ", "> ", "- ", "1. ", "- [x] ", "| a | b |\n|-|-|\n", "    ", "\t", "\\", '"', "'", " onload=",
    ];
    const piece = fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        checkHtml(renderMarkdown(pieces.join("")));
      }),
      { seed: 20261207, numRuns: 1500 },
    );
  });
});

describe("POST /r/:token", () => {
  it("answers once, as the link's person, via link; the agent's wait gets it; a second POST shows the answer", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    const wait = bot.v1("GET", `/reviews/${m.id}/wait?channel=${bot.agent.id}&timeout=10000`);
    await sleep(50);
    const res = await postForm(url, [
      ["comment", "Looks good"],
      ["feedback", "  next time, earlier  "],
      ["selectedOption", "approve"],
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain("Your answer was sent");
    const waited = await wait;
    expect(waited.status, waited.text).toBe(200);
    expect(waited.json.status).toBe("completed");
    expect(waited.json.message.review).toMatchObject({
      status: "completed",
      response: { selectedOption: "approve", comment: "Looks good" },
      feedback: "next time, earlier",
      via: "link",
      resolution: "person",
      respondedBy: { id: ann.id, displayName: "Member 1" },
    });
    const { results } = await env.DB.prepare("SELECT spent_at FROM answer_tokens WHERE token_hash = ?")
      .bind(await sha256Hex(tokenOf(url)))
      .all();
    expect(results[0]!.spent_at).toEqual(expect.any(String));
    const audit = await env.DB.prepare("SELECT action, actor_id, data FROM audit_log WHERE message_id = ? AND action = 'answered'").bind(m.id).first();
    expect(audit).toMatchObject({ actor_id: ann.id });
    expect(JSON.parse(audit!.data as string)).toMatchObject({ via: "link", response: { selectedOption: "approve" } });

    const again = await postForm(url, [["selectedOption", "reject"]]);
    expect(again.status).toBe(409);
    expect(again.text).toContain("This link was already used");
    expect(again.text).toContain("Answered by you");
    expect(again.text).not.toContain("<form");
    const page = await call("GET", pathOf(url));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Answered by you through an answer link");
    expect(page.text).toContain("Approve");
    expect(page.text).not.toContain("<form");
    expect((await review(m.id)).response).toEqual({ selectedOption: "approve", comment: "Looks good" });
  });

  it("shows who answered when someone else was first (409), and the link's page then has no controls", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    expect((await bob.as("POST", `/api/messages/${m.id}/respond`, { response: { selectedOption: "reject" } })).status).toBe(200);
    const page = await call("GET", pathOf(url));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Answered by Member 2 in the app");
    expect(page.text).not.toContain("<form");
    const res = await postForm(url, [["selectedOption", "approve"]]);
    expect(res.status).toBe(409);
    expect(res.text).toContain("already been answered");
    expect((await review(m.id)).response).toEqual({ selectedOption: "reject" });
  });

  it("two POSTs of one link at once: one answer, the other 409", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    const [a, b] = await Promise.all([postForm(url, [["selectedOption", "approve"]]), postForm(url, [["selectedOption", "reject"]])]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const won = a.status === 200 ? "approve" : "reject";
    expect(await review(m.id)).toMatchObject({ status: "completed", response: { selectedOption: won }, via: "link" });
    const { results } = await env.DB.prepare("SELECT action FROM audit_log WHERE message_id = ? AND action = 'answered'").bind(m.id).all();
    expect(results).toHaveLength(1);
  });

  it("says why on a 403: the review is (now) assigned to someone else", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(ann, m.id);
    // As an escalation would change who may answer: here the review's stored policy names Bob only.
    await env.DB.prepare("UPDATE messages SET review_policy = ? WHERE id = ?")
      .bind(JSON.stringify({ assignees: [{ id: bob.id, displayName: "Member 2" }] }), m.id)
      .run();
    const page = await call("GET", pathOf(url));
    expect(page.status).toBe(200);
    expect(page.text).toContain("This review is assigned to Member 2");
    expect(page.text).not.toContain("<form");
    const res = await postForm(url, [["selectedOption", "approve"]]);
    expect(res.status).toBe(403);
    expect(res.text).toContain("assigned to Member 2");
    expect((await review(m.id)).status).toBe("pending");
  });

  it("turns a form review's fields into typed values, and shows every problem at its field with the values kept", async () => {
    const m = await ask({
      type: "form",
      payload: {
        fields: [
          { name: "replicas", type: "number", label: "Replicas", required: true, min: 1, max: 10 },
          { name: "contact", type: "email", label: "Contact" },
          { name: "reason", type: "text", label: "Reason", required: true },
          { name: "region", type: "select", label: "Region", options: ["eu", "us"] },
          { name: "agree", type: "checkbox", label: "I agree", required: true },
          { name: "notify", type: "checkbox", label: "Notify" },
          { name: "when", type: "date", label: "When" },
          { name: "secret", type: "password", label: "Secret" },
        ],
      },
    });
    const { url } = await linkFor(ann, m.id);
    const page = await call("GET", pathOf(url));
    expect(page.text).toMatch(/<input type="number" id="[^"]+" name="f\.replicas" required min="1" max="10" step="any">/);
    expect(page.text).toContain('<input type="email"');
    expect(page.text).toContain('<option value="eu">eu</option>');
    expect(page.text).toContain('<input type="date"');

    const bad = await postForm(url, [
      ["f.replicas", "99"],
      ["f.contact", "not-an-email"],
      ["f.reason", ""],
      ["f.region", "mars"],
      ["f.secret", "hunter2"],
      ["feedback", "first try"],
    ]);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("problems to fix below");
    // Each problem right after its own control; the values kept (a password is never sent back).
    expect(bad.text).toMatch(
      /name="f\.replicas" value="99"[^>]*aria-invalid="true"[^>]*>(<p class="hint">[^<]*<\/p>)*<p class="error" id="err-f_replicas">[^<]*10/,
    );
    expect(bad.text).toMatch(/name="f\.contact" value="not-an-email"[^>]*aria-invalid="true"[^>]*><p class="error"/);
    expect(bad.text).toMatch(/name="f\.reason"[^>]*aria-invalid="true"[^>]*><p class="error" id="err-f_reason">This field is required/);
    expect(bad.text).toMatch(/<option value="eu">eu<\/option>[\s\S]*<p class="error" id="err-f_region">must be one of: eu, us/);
    expect(bad.text).toMatch(/name="f\.agree"[^>]*aria-invalid="true"[\s\S]*?<p class="error" id="err-f_agree">must be checked/);
    expect(bad.text).not.toContain("hunter2");
    expect(bad.text).toContain(">first try</textarea>");
    expect(await review(m.id)).toMatchObject({ status: "pending", response: null });
    const { results } = await env.DB.prepare("SELECT spent_at FROM answer_tokens WHERE message_id = ?").bind(m.id).all();
    expect(results[0]!.spent_at).toBeNull();

    const good = await postForm(url, [
      ["f.replicas", "3"],
      ["f.contact", ""],
      ["f.reason", "traffic"],
      ["f.region", "eu"],
      ["f.agree", "on"],
      ["f.when", "2026-12-24"],
      ["f.secret", "hunter2"],
    ]);
    expect(good.status, good.text).toBe(200);
    const done = await review(m.id);
    expect(done).toMatchObject({ status: "completed", via: "link" });
    expect(done.response).toEqual({ replicas: 3, reason: "traffic", region: "eu", agree: true, notify: false, when: "2026-12-24", secret: "hunter2" });
    expect(good.text).not.toContain("hunter2");
  });

  it("answers selection, text-input and freeform reviews from their controls", async () => {
    const sel = await ask({
      type: "selection",
      payload: {
        mode: "multi",
        items: [
          { id: "a", label: "Alpha" },
          { id: "b", label: "Beta" },
          { id: "c", label: "Gamma" },
        ],
      },
    });
    const selLink = await linkFor(ann, sel.id);
    expect((await call("GET", pathOf(selLink.url))).text).toContain('<input type="checkbox" id="c-item-0" name="selectedIds" value="a">');
    const none = await postForm(selLink.url, []);
    expect(none.status).toBe(400);
    expect(none.text).toContain("Choose at least one");
    const picked = await postForm(selLink.url, [
      ["selectedIds", "a"],
      ["selectedIds", "c"],
    ]);
    expect(picked.status, picked.text).toBe(200);
    expect(picked.text).toContain("Alpha, Gamma");
    expect((await review(sel.id)).response).toEqual({ selectedIds: ["a", "c"] });

    const txt = await ask({ type: "text-input", payload: { minLength: 5, maxLength: 40, prefill: "Dear" } });
    const txtLink = await linkFor(ann, txt.id);
    expect((await call("GET", pathOf(txtLink.url))).text).toMatch(/<textarea id="c-text" name="text" minlength="5" required maxlength="40">Dear<\/textarea>/);
    const short = await postForm(txtLink.url, [["text", "Hi"]]);
    expect(short.status).toBe(400);
    expect(short.text).toContain(">Hi</textarea>");
    expect(short.text).toMatch(/<p class="error" id="err-text">/);
    expect((await postForm(txtLink.url, [["text", "Hello\r\nthere"]])).status).toBe(200);
    expect((await review(txt.id)).response).toEqual({ text: "Hello\nthere" });

    const free = await ask({ type: "freeform", payload: {} });
    const freeLink = await linkFor(ann, free.id);
    const broken = await postForm(freeLink.url, [["json", "{nope"]]);
    expect(broken.status).toBe(400);
    expect(broken.text).toContain("Not valid JSON");
    expect(broken.text).toContain(">{nope</textarea>");
    expect((await postForm(freeLink.url, [["json", '{"ok": true, "n": 2}']])).status).toBe(200);
    expect((await review(free.id)).response).toEqual({ ok: true, n: 2 });
  });

  it("takes JSON {response, feedback} and answers with JSON", async () => {
    const m = await ask(approval);
    const { url } = await linkFor(bob, m.id);
    const bad = await call("POST", pathOf(url), { body: { response: { selectedOption: "maybe" } } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toContain("response.selectedOption");
    const res = await call("POST", pathOf(url), { body: { response: { selectedOption: "reject" }, feedback: "no" } });
    expect(res.status, res.text).toBe(200);
    expect(res.json.review).toMatchObject({ status: "completed", via: "link", respondedBy: { id: bob.id }, feedback: "no" });
    expect((await call("POST", pathOf(url), { body: { response: { selectedOption: "reject" } } })).status).toBe(409);
    expect((await call("POST", pathOf(url), { raw: "selectedOption=approve", headers: { "content-type": "text/plain" } })).status).toBe(415);
  });

  it("casts a vote on a quorum review; the second person's link decides it", async () => {
    const m = await ask({ ...approval, quorum: { count: 2 } });
    const annLink = await linkFor(ann, m.id);
    const bobLink = await linkFor(bob, m.id);
    const first = await postForm(annLink.url, [["selectedOption", "approve"]]);
    expect(first.status, first.text).toBe(200);
    expect(first.text).toContain("Your vote was counted");
    const pending = await review(m.id);
    expect(pending.status).toBe("pending");
    expect(pending.votes).toEqual([expect.objectContaining({ userId: ann.id, response: { selectedOption: "approve" } })]);
    // Ann's link is spent; her page shows her vote, and a new link of hers is refused (she voted).
    const annPage = await call("GET", pathOf(annLink.url));
    expect(annPage.text).toContain("Your vote is in (1 of 2");
    expect(annPage.text).not.toContain("<form");
    expect((await ann.as("POST", `/api/messages/${m.id}/answer-link`)).status).toBe(409);

    const second = await postForm(bobLink.url, [["selectedOption", "approve"]]);
    expect(second.status, second.text).toBe(200);
    expect(await review(m.id)).toMatchObject({
      status: "completed",
      resolution: "quorum",
      via: "link",
      respondedBy: { id: bob.id },
      response: { selectedOption: "approve" },
    });
  });
});

describe("the hourly clean-up", () => {
  it("deletes expired links' rows and keeps live ones", async () => {
    const m = await ask(approval);
    const live = await linkFor(ann, m.id);
    const old = await linkFor(bob, m.id);
    await env.DB.prepare("UPDATE answer_tokens SET expires_at = ? WHERE token_hash = ?")
      .bind(new Date(Date.now() - 60_000).toISOString(), await sha256Hex(tokenOf(old.url)))
      .run();
    expect((await call("GET", pathOf(old.url))).status).toBe(404);
    const report = await runMaintenance(env, Date.now());
    expect(report.failed).toEqual([]);
    expect(report.removed.answerLinks).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare("SELECT token_hash FROM answer_tokens WHERE message_id = ?").bind(m.id).all<{ token_hash: string }>();
    expect(left.results.map((r) => r.token_hash)).toEqual([await sha256Hex(tokenOf(live.url))]);
    expect((await call("GET", pathOf(live.url))).status).toBe(200);
  });
});

describe("OpenAPI", () => {
  it("documents the answer-link routes", async () => {
    const doc = (await call("GET", "/api/openapi.json")).json;
    expect(doc.paths["/api/messages/{id}/answer-link"].post.summary).toContain("link");
    expect(doc.paths["/r/{token}"].get.security).toEqual([]);
    expect(doc.paths["/r/{token}"].post.requestBody.content["application/json"].schema.properties).toHaveProperty("response");
  });
});
