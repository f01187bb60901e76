// A message's place in an iteration chain (an agent's next version of something the person reviewed):
// ① → ② → ③ with each version's state, the feedback the person gave on the version before, what changed
// in the text, and the images of both versions side by side. Loaded on demand, only for chain messages.
import { createEffect, createMemo, For, onCleanup, Show } from "solid-js";
import { api, apiPath, downloadUrl } from "../lib/api";
import { on as onLive } from "../lib/bus";
import { useAsync } from "../lib/async";
import { fileKind } from "../lib/files";
import { createMessageList, followLive } from "../lib/message-list";
import type { IterationChain, Message } from "../lib/types";
import { diffStats, diffText } from "../lib/text-diff";
import { isDismissed, iterationMark } from "./labels";

/** Where one version stands, as the breadcrumbs say it. */
function stepStatus(m: Message): { key: string; text: string } {
  const r = m.review;
  if (!r) return { key: "sent", text: "Sent" };
  if (r.status === "completed") return isDismissed(r) ? { key: "dismissed", text: "Dismissed" } : { key: "answered", text: "Answered" };
  if (r.status === "expired") return { key: "expired", text: "Expired" };
  return { key: "pending", text: "Pending" };
}

const images = (m: Message) => m.attachments.filter((a) => fileKind(a) === "image");

/** Chains being fetched: the chat shows every version of a chain at once, and they share one request. */
const loading = new Map<string, Promise<IterationChain>>();
function fetchChain(groupId: string): Promise<IterationChain> {
  let p = loading.get(groupId);
  if (!p) {
    p = api.get<IterationChain>(apiPath`/api/messages/iterations/${groupId}`).finally(() => loading.delete(groupId));
    loading.set(groupId, p);
  }
  return p;
}

export default function Iterations(props: { message: Message; onShow: (m: Message) => void }) {
  const groupId = () => props.message.iterationGroupId ?? props.message.id;
  // The chain, kept live: a new version, an answer or an expiry arrives as it does in the chat.
  const list = createMessageList({ order: "seq", accepts: (m) => m.iterationGroupId === groupId() });
  followLive(list);
  const chain = useAsync(groupId, fetchChain);
  createEffect(() => {
    const c = chain.value();
    if (c) list.reset(c.iterations);
  });
  onCleanup(onLive("resync", chain.refetch));

  /** Every version, this message as the page has it (it may be fresher than the chain's copy). */
  const steps = createMemo(() => {
    const items = list.items.map((m) => (m.id === props.message.id ? props.message : m));
    if (!items.some((m) => m.id === props.message.id)) items.push(props.message);
    return items.sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
  });
  const number = () => props.message.iteration ?? 1;
  // The version before: a chain may branch (two revisions of one version), so the latest one of that
  // number posted before this message (a message's DTO does not name its iterationOf).
  const previous = createMemo(() => steps().findLast((m) => m.iteration === number() - 1 && m.seq < props.message.seq));
  const diff = createMemo(() => {
    const p = previous();
    if (!p || (p.text ?? "") === (props.message.text ?? "")) return undefined;
    const parts = diffText(p.text ?? "", props.message.text ?? "");
    return { parts, ...diffStats(parts) };
  });
  const pictures = createMemo(() => {
    const p = previous();
    return p && (images(p).length || images(props.message).length) ? { before: images(p), after: images(props.message) } : undefined;
  });

  return (
    <div class="iterations" data-iterations>
      <Show when={steps().length > 1}>
        <ol class="iter-steps" aria-label="Versions of this review">
          <For each={steps()}>
            {(m) => {
              const status = () => stepStatus(m);
              const current = () => m.id === props.message.id;
              return (
                <li class="iter-step-item">
                  <button
                    type="button"
                    class={`iter-step iter-${status().key}`}
                    aria-current={current() ? "step" : undefined}
                    onClick={() => !current() && props.onShow(m)}
                    data-iteration={m.iteration}
                    data-status={status().key}
                  >
                    <span class="iter-mark" aria-hidden="true">
                      {iterationMark(m.iteration ?? 1)}
                    </span>
                    <span class="sr-only">Version {m.iteration}</span>
                    <span class="iter-status">{status().text}</span>
                  </button>
                </li>
              );
            }}
          </For>
        </ol>
      </Show>
      <Show when={chain.error() && steps().length < 2}>
        <p class="muted small">Version {number()} of a review (the earlier versions could not be loaded).</p>
      </Show>
      <Show when={previous()?.review?.feedback}>
        {(feedback) => (
          <figure class="iter-feedback" data-previous-feedback>
            <figcaption class="answer-feedback-label">Your feedback on {iterationMark(number() - 1)}:</figcaption>
            <blockquote class="answer-comment">{feedback()}</blockquote>
          </figure>
        )}
      </Show>
      <Show when={diff()}>
        {(d) => (
          <details class="iter-diff" open={props.message.review?.status === "pending"}>
            <summary>
              Changes since {iterationMark(number() - 1)}{" "}
              <span class="muted small">
                (+{d().added} / −{d().removed} words)
              </span>
            </summary>
            {/* It scrolls when long: focusable, so keys scroll it, and named for whoever lands on it. */}
            <section class="text-diff" tabindex="0" aria-label={`Text changes since version ${number() - 1}`} data-diff>
              <For each={d().parts}>
                {(part) =>
                  part.kind === "added" ? (
                    <ins>
                      <span class="sr-only">[added: </span>
                      {part.text}
                      <span class="sr-only">]</span>
                    </ins>
                  ) : part.kind === "removed" ? (
                    <del>
                      <span class="sr-only">[removed: </span>
                      {part.text}
                      <span class="sr-only">]</span>
                    </del>
                  ) : (
                    <span>{part.text}</span>
                  )
                }
              </For>
            </section>
          </details>
        )}
      </Show>
      <Show when={pictures()}>
        {(pics) => (
          <div class="iter-images" data-image-compare>
            <ImageColumn title={`${iterationMark(number() - 1)} before`} files={pics().before} />
            <ImageColumn title={`${iterationMark(number())} now`} files={pics().after} />
          </div>
        )}
      </Show>
    </div>
  );
}

function ImageColumn(props: { title: string; files: Message["attachments"] }) {
  return (
    <figure class="iter-image-col">
      <figcaption class="muted small">{props.title}</figcaption>
      <For each={props.files} fallback={<p class="muted small">No image</p>}>
        {(f) => <img src={downloadUrl(f.id)} alt={f.filename} loading="lazy" />}
      </For>
    </figure>
  );
}
