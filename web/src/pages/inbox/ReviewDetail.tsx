// The open review: who asked and when, the message, its iteration chain, and the widget that answers it.
// A click on another version of the chain shows that version here, until the selection moves on.
import { createEffect, createSignal, lazy, on, Show, Suspense } from "solid-js";
import { Attachments } from "../../components/Attachments";
import { Avatar } from "../../components/Avatar";
import { BackIcon } from "../../components/Icons";
import { Markdown } from "../../components/Markdown";
import { STATUS_TEXT } from "../../components/MessageItem";
import { pluginOf, PluginView } from "../../components/PluginView";
import { agentById } from "../../lib/state";
import { ago, now } from "../../lib/time";
import type { Message } from "../../lib/types";

// The review widgets load on first use, not with the list.
const ReviewCard = lazy(() => import("../../reviews/ReviewCard"));
const Iterations = lazy(() => import("../../reviews/Iterations"));

export function ReviewDetail(props: { message: Message; onAnswered: (m: Message) => void; onBack: () => void; headingRef: (el: HTMLHeadingElement) => void }) {
  /** Another version of the chain the person clicked, shown instead of the selected review. */
  const [shown, setShown] = createSignal<Message>();
  createEffect(
    on(
      () => props.message.id,
      () => setShown(undefined),
      { defer: true },
    ),
  );
  const m = () => shown() ?? props.message;
  const a = () => agentById(m().channelId);
  /** An answer to the selected review goes to the inbox; one to another version stays here. */
  const answered = (next: Message) => (next.id === props.message.id ? props.onAnswered(next) : setShown(next));
  const show = (other: Message) => setShown(other.id === props.message.id ? undefined : other);
  return (
    <article class="detail">
      <button type="button" class="btn btn-ghost btn-sm back-btn" onClick={() => props.onBack()}>
        <BackIcon /> Reviews
      </button>
      <header class="detail-head">
        <Avatar name={a()?.name ?? "?"} id={m().channelId} url={a()?.avatarUrl} />
        <div>
          <h2 class="detail-title" tabindex="-1" ref={props.headingRef}>
            {a()?.name ?? "Agent"}
          </h2>
          <p class="muted small">
            asked {ago(m().createdAt, now())} · <a href={`/chat/${m().channelId}?m=${m().id}`}>Open in chat</a>
          </p>
        </div>
      </header>
      <div class={`detail-body ${m().status ? `msg-status-${m().status}` : ""}`}>
        <Show when={m().status}>
          <span class={`status-tag status-tag-${m().status}`}>{STATUS_TEXT[m().status!]}</span>
        </Show>
        <Show when={m().text}>
          <Markdown text={m().text!} class="msg-text" />
        </Show>
        <Show when={pluginOf(m())}>
          <PluginView message={m()} onUpdate={answered} />
        </Show>
        <Attachments message={m()} />
      </div>
      <Show when={typeof m().iteration === "number"}>
        <Suspense>
          <Iterations message={m()} onShow={show} />
        </Suspense>
      </Show>
      <Suspense fallback={<div class="review-card review-loading" aria-busy="true" />}>
        <Show when={m().id} keyed>
          <ReviewCard message={m()} onAnswered={answered} autofocus={false} />
        </Show>
      </Suspense>
    </article>
  );
}
