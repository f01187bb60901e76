// One message of a conversation: author, status colour, sanitized markdown, plugin, files, its place
// in an iteration chain, the review widget (loaded on demand with zod) and delivery ticks.
import { lazy, Show, Suspense } from "solid-js";
import { clock, fullDate } from "../lib/time";
import type { Agent, Message, MessageStatus } from "../lib/types";
import { Attachments } from "./Attachments";
import { Avatar } from "./Avatar";
import { DeliveryTicks } from "./DeliveryTicks";
import { Markdown } from "./Markdown";
import { pluginOf, PluginView } from "./PluginView";

const ReviewCard = lazy(() => import("../reviews/ReviewCard"));
const Iterations = lazy(() => import("../reviews/Iterations"));

export const STATUS_TEXT = { info: "Info", success: "Success", warning: "Warning", error: "Error" } as const satisfies Record<MessageStatus, string>;

export function MessageItem(props: {
  message: Message;
  agent: Agent | undefined;
  onUpdate: (m: Message) => void;
  onSent?: (m: Message) => void;
  /** Brings another message of the conversation into view (a version of an iteration chain). */
  onShowMessage?: (id: string) => void;
  highlight?: boolean;
  /** A streamed reply's text as it is written (stored text plus live tokens); the stored text otherwise. */
  text?: string | null;
  /** The reply is still being written: a caret shows, and the text re-renders at most once a frame. */
  writing?: boolean;
}) {
  const m = () => props.message;
  const text = () => (props.text === undefined ? m().text : props.text);
  const mine = () => m().senderType === "user";
  const showTicks = () => mine() || m().review?.status === "completed" || m().deliveryStatus !== "sent";
  const authorId = `a-${m().id}`;
  return (
    <article
      id={`m-${m().id}`}
      class="msg"
      classList={{
        "msg-mine": mine(),
        "msg-agent": !mine(),
        [`msg-status-${m().status}`]: !!m().status,
        "msg-highlight": !!props.highlight,
        "msg-writing": !!props.writing,
      }}
      aria-labelledby={authorId}
      aria-busy={props.writing ? "true" : undefined}
      data-stream-id={m().streamId ?? undefined}
      data-seq={m().seq}
      data-message-id={m().id}
    >
      <Show when={!mine()}>
        <Avatar name={props.agent?.name ?? "Agent"} id={m().channelId} url={props.agent?.avatarUrl} size="sm" />
      </Show>
      <div class="msg-bubble">
        <header class="msg-head">
          <span class="msg-author" id={authorId}>
            {mine() ? "You" : (props.agent?.name ?? "Agent")}
          </span>
          <Show when={m().status}>
            <span class={`status-tag status-tag-${m().status}`}>{STATUS_TEXT[m().status!]}</span>
          </Show>
          <time class="msg-time" datetime={m().createdAt} title={fullDate(m().createdAt)}>
            {clock(m().createdAt)}
          </time>
        </header>
        <Show when={text()} fallback={<WritingDots when={!!props.writing} />}>
          <Markdown text={text()!} class="msg-text" live={!!props.writing} />
        </Show>
        <Show when={pluginOf(m())}>
          <PluginView message={m()} onUpdate={props.onUpdate} />
        </Show>
        <Attachments message={m()} onSent={props.onSent} />
        <Show when={typeof m().iteration === "number"}>
          <Suspense>
            <Iterations message={m()} onShow={(other) => props.onShowMessage?.(other.id)} />
          </Suspense>
        </Show>
        <Show when={m().review}>
          <Suspense fallback={<div class="review-card review-loading" aria-busy="true" />}>
            <ReviewCard message={m()} onAnswered={props.onUpdate} />
          </Suspense>
        </Show>
        <Show when={showTicks()}>
          <footer class="msg-foot">
            <DeliveryTicks message={m()} onUpdate={props.onUpdate} />
          </footer>
        </Show>
      </div>
    </article>
  );
}

/** A streamed reply with no text yet. */
function WritingDots(props: { when: boolean }) {
  return (
    <Show when={props.when}>
      <p class="msg-dots">
        <span class="sr-only">Writing…</span>
      </p>
    </Show>
  );
}

/**
 * Tokens of a reply whose stored draft is not here yet (not posted, or its event still on the way):
 * shown as the agent's bubble until the message arrives and takes over.
 */
export function ProvisionalMessage(props: { streamId: string; text: string; writing: boolean; agent: Agent | undefined; channelId: string }) {
  return (
    <article
      class="msg msg-agent msg-provisional"
      classList={{ "msg-writing": props.writing }}
      aria-busy={props.writing ? "true" : undefined}
      data-stream-id={props.streamId}
    >
      <Avatar name={props.agent?.name ?? "Agent"} id={props.channelId} url={props.agent?.avatarUrl} size="sm" />
      <div class="msg-bubble">
        <header class="msg-head">
          <span class="msg-author">{props.agent?.name ?? "Agent"}</span>
        </header>
        <Show when={props.text} fallback={<WritingDots when={props.writing} />}>
          <Markdown text={props.text} class="msg-text" live={props.writing} />
        </Show>
      </div>
    </article>
  );
}
