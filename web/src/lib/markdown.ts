// Markdown for agent and person text: marked renders, DOMPurify removes anything active
// (scripts, event handlers, javascript: URLs, forms, inline styles). Links open in a new tab.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node.tagName === "IMG") {
    node.setAttribute("loading", "lazy");
    node.setAttribute("referrerpolicy", "no-referrer");
  }
});

const options = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "object", "embed"],
  FORBID_ATTR: ["style", "class", "id"],
};

export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(marked.parse(text) as string, options);
}

/** Text without markdown syntax, for one-line excerpts. */
export function plainText(text: string, max = 160): string {
  const tpl = document.createElement("template"); // inert: nothing in it loads
  tpl.innerHTML = renderMarkdown(text);
  const s = (tpl.content.textContent ?? "").replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
