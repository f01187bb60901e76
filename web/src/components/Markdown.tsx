// Sanitized markdown (marked + DOMPurify, see lib/markdown.ts).
import { renderMarkdown } from "../lib/markdown";

export function Markdown(props: { text: string; class?: string }) {
  return <div class={`md ${props.class ?? ""}`} innerHTML={renderMarkdown(props.text)} />;
}
