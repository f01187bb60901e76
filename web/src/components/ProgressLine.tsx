// What the agent is doing right now ("Searching the docs…", with its tool as a chip): a transient line
// under the last message. It clears on the channel's next message (new or updated) or after 60 s.
import { createSignal, onCleanup, Show } from "solid-js";
import type { ChannelEvents } from "../../../contract/events";
import { on as onLive } from "../lib/bus";

type Progress = ChannelEvents["message:progress"];

/** How long a progress line stays without news. */
const PROGRESS_TTL_MS = 60_000;

export function ProgressLine(props: { channelId: string; onShow?: () => void }) {
  const [progress, setProgress] = createSignal<Progress | undefined>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clear = (d: { channelId: string }) => {
    if (d.channelId !== props.channelId) return;
    clearTimeout(timer);
    setProgress(undefined);
  };
  const offs = [
    onLive("message:progress", (p) => {
      if (p.channelId !== props.channelId) return;
      clearTimeout(timer);
      timer = setTimeout(() => setProgress(undefined), PROGRESS_TTL_MS);
      setProgress(p);
      props.onShow?.();
    }),
    onLive("message:created", clear),
    onLive("message:updated", clear),
  ];
  onCleanup(() => {
    clearTimeout(timer);
    for (const off of offs) off();
  });
  // The region stays in the page (empty when idle) so screen readers hear each new line.
  return (
    <div class="progress-line" role="status" aria-live="polite">
      <Show when={progress()}>
        {(p) => (
          <p class="progress-text">
            <span class="progress-pulse" aria-hidden="true" />
            <span class="progress-content">{/[.…!?:]$/.test(p().content) ? p().content : `${p().content}…`}</span>
            <Show when={p().toolHint}>
              <span class="progress-chip">{p().toolHint}</span>
            </Show>
          </p>
        )}
      </Show>
    </div>
  );
}
