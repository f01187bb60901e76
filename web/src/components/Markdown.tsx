// Sanitized markdown (marked + DOMPurify, see lib/markdown.ts).
import { createEffect, createSignal, on, onCleanup } from "solid-js";
import { renderMarkdown } from "../lib/markdown";

/**
 * `live`: text that changes many times a second (a streamed reply): parsed and sanitized at most once
 * per animation frame, into the same element.
 */
export function Markdown(props: { text: string; class?: string; live?: boolean }) {
  const [framed, setFramed] = createSignal("");
  let frame = 0;
  createEffect(
    on(
      () => props.live && props.text,
      (text) => {
        if (text === false || text === undefined || frame) return;
        frame = requestAnimationFrame(() => {
          frame = 0;
          setFramed(renderMarkdown(props.text));
        });
      },
    ),
  );
  onCleanup(() => cancelAnimationFrame(frame));
  const html = () => (props.live && framed() ? framed() : renderMarkdown(props.text));
  return <div class={`md ${props.class ?? ""}`} innerHTML={html()} />;
}
