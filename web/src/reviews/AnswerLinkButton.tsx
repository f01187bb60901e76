// "Copy answer link": a link that answers this review as you from another device (a phone, a chat), without
// signing in there; it is spent by the answer and expires with the review (docs/api.md, "Answer links").
import { createSignal } from "solid-js";
import { LinkIcon } from "../components/Icons";
import { copyAnswerLink } from "../lib/share";

export function AnswerLinkButton(props: { messageId: string }) {
  const [busy, setBusy] = createSignal(false);
  return (
    <button
      type="button"
      class="btn btn-sm btn-ghost copy-answer-link"
      disabled={busy()}
      title="Copy a link that answers this review as you from another device, until it expires"
      onClick={async () => {
        setBusy(true);
        await copyAnswerLink(props.messageId);
        setBusy(false);
      }}
    >
      <LinkIcon /> Copy answer link
    </button>
  );
}
