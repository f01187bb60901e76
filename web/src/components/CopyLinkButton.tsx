// "Copy link": a share link to one file (downloads without signing in, for an hour), on the clipboard.
import { createSignal, Show } from "solid-js";
import { copyShareLink } from "../lib/share";
import { LinkIcon } from "./Icons";

/**
 * Makes a share link to the file (downloads without signing in, for an hour) and copies it. `compact`:
 * the icon alone, named for its file (a grid of them would otherwise be many buttons of one name).
 */
export function CopyLinkButton(props: { file: { id: string; filename: string }; compact?: boolean }) {
  const [busy, setBusy] = createSignal(false);
  return (
    <button
      type="button"
      class="btn btn-sm btn-ghost copy-link"
      disabled={busy()}
      title={`Copy a link that downloads ${props.file.filename} without signing in (valid 1 hour)`}
      onClick={async () => {
        setBusy(true);
        await copyShareLink(props.file);
        setBusy(false);
      }}
    >
      <LinkIcon />
      <Show when={props.compact} fallback=" Copy link">
        <span class="sr-only">Copy link to {props.file.filename}</span>
      </Show>
    </button>
  );
}
