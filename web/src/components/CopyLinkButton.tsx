// "Copy link": a share link to one file (downloads without signing in, for an hour), on the clipboard.
import { createSignal } from "solid-js";
import { copyShareLink } from "../lib/share";
import { LinkIcon } from "./Icons";

/** Makes a share link to the file (downloads without signing in, for an hour) and copies it. */
export function CopyLinkButton(props: { file: { id: string; filename: string } }) {
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
      <LinkIcon /> Copy link
    </button>
  );
}
