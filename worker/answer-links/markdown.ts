// Markdown for the answer link's page, made safe without an HTML sanitizer. The web app renders agent
// markdown with marked and then DOMPurify, which needs a DOM; a Worker has none. So here the renderer
// itself decides what can come out, and marked's own output is the only HTML there is:
// - raw HTML (block and inline) is never passed through: it is shown escaped, as written;
// - text and code are always escaped (marked leaves text inside a raw <pre>/<script> unescaped: not here);
// - a link keeps its href only when the URL parser says it is http:, https: or mailto:, and the href
//   written out is that parsed URL, fully escaped, so the browser reads exactly what was checked
//   (entities, control characters and odd schemes cannot sneak past); any other link is its text;
// - an image is never loaded (the page's CSP forbids it anyway): an http(s) one becomes a link to its
//   source, any other its alt text;
// - headings are demoted two levels (# → h3) so the page's own h1 stays the only one;
// - a task list's checkbox is a character, not an <input>.
// What is left is marked's fixed set of tags (p, em, strong, del, code, pre, ul/ol/li, blockquote, hr, br,
// table, h3–h6) with no attribute an author controls except a code block's class and a link's title.
import { Marked, Renderer, type Tokens } from "marked";

const escapeAll = (s: string) => s.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));

/** The URL as the browser would follow it, when it is one we link to; otherwise null. */
function safeUrl(href: string, schemes: readonly string[]): string | null {
  try {
    const url = new URL(href);
    return schemes.includes(url.protocol) ? url.href : null;
  } catch {
    return null; // relative or malformed: nothing to follow from this page
  }
}

const LINK_SCHEMES = ["http:", "https:", "mailto:"] as const;
const IMAGE_SCHEMES = ["http:", "https:"] as const;
const LINK_ATTRS = ' rel="noopener noreferrer nofollow" target="_blank"';

let linkDepth = 0; // rendering is synchronous: inside a link's text, an image must not add a second <a>

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html({ text, block }: Tokens.HTML | Tokens.Tag) {
      const shown = escapeAll(text.replace(/\n+$/, "")).replace(/\n/g, "<br>");
      return block ? `<p>${shown}</p>\n` : shown;
    },
    text(token: Tokens.Text | Tokens.Escape) {
      return Renderer.prototype.text.call(this, { ...token, escaped: false });
    },
    code(token: Tokens.Code) {
      return Renderer.prototype.code.call(this, { ...token, escaped: false });
    },
    heading({ tokens, depth }: Tokens.Heading) {
      const level = Math.min(depth + 2, 6);
      return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
    checkbox({ checked }: Tokens.Checkbox) {
      return checked ? "☑ " : "☐ ";
    },
    link({ href, title, tokens }: Tokens.Link) {
      linkDepth++;
      let inner: string;
      try {
        inner = this.parser.parseInline(tokens);
      } finally {
        linkDepth--;
      }
      const url = safeUrl(href, LINK_SCHEMES);
      if (!url) return inner;
      return `<a href="${escapeAll(url)}"${title ? ` title="${escapeAll(title)}"` : ""}${LINK_ATTRS}>${inner}</a>`;
    },
    image({ href, text, tokens }: Tokens.Image) {
      const alt = tokens ? this.parser.parseInline(tokens, this.parser.textRenderer) : text;
      const url = linkDepth ? null : safeUrl(href, IMAGE_SCHEMES);
      if (!url) return escapeAll(alt);
      return `<a href="${escapeAll(url)}"${LINK_ATTRS}>${escapeAll(alt || url)}</a>`;
    },
  },
});

/** A message's markdown as HTML that can hold no script, no raw tag, no image and no link but http(s)/mailto. */
export function renderMarkdown(text: string): string {
  return marked.parse(text, { async: false });
}
