// One review in the inbox list: who asked, what, and where it stands (time left, answered, expired);
// for a team, its priority, who may answer and how far its quorum got.
import { Show } from "solid-js";
import { Avatar } from "../../components/Avatar";
import { STATUS_TEXT } from "../../components/MessageItem";
import { plainText } from "../../lib/markdown";
import { agentById, me } from "../../lib/state";
import { ago, now, shortTime, timeLeft } from "../../lib/time";
import type { Message } from "../../lib/types";
import { isDismissed, iterationMark, REVIEW_TYPE_LABEL } from "../../reviews/labels";
import { names, PRIORITY_LABEL, quorumProgress } from "../../reviews/team";

export function ReviewListItem(props: { message: Message; href: string; current: boolean; onMove: (delta: 1 | -1) => void }) {
  const m = () => props.message;
  const a = () => agentById(m().channelId);
  const left = () => (m().review?.status === "pending" ? timeLeft(m().review!.expiresAt, now()) : null);
  return (
    <li>
      <a
        href={props.href}
        class="inbox-item"
        aria-current={props.current ? "true" : undefined}
        data-id={m().id}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            props.onMove(e.key === "ArrowDown" ? 1 : -1);
          }
        }}
      >
        <Avatar name={a()?.name ?? "?"} id={m().channelId} url={a()?.avatarUrl} size="sm" />
        <span class="inbox-item-main">
          <span class="inbox-item-top">
            <span class="inbox-agent">{a()?.name ?? "Agent"}</span>
            <span class="inbox-time">{shortTime(m().createdAt, now())}</span>
          </span>
          <span class="inbox-text">{m().text ? plainText(m().text!) : `${REVIEW_TYPE_LABEL[m().review!.type]} review`}</span>
          <span class="inbox-tags">
            <Show when={m().review!.priority && PRIORITY_LABEL[m().review!.priority!]}>
              <span class={`tag priority priority-${m().review!.priority}`} data-priority={m().review!.priority}>
                {PRIORITY_LABEL[m().review!.priority!]}
              </span>
            </Show>
            <span class="tag">{REVIEW_TYPE_LABEL[m().review!.type]}</span>
            <Show when={m().review!.assignees}>
              <span class="tag tag-people" data-assignees title="Assigned to">
                <span class="sr-only">Assigned to </span>
                {names(m().review!.assignees!.map((p) => (p.id === me()?.id ? { displayName: "You" } : p)))}
              </span>
            </Show>
            <Show when={m().review!.status === "pending" && quorumProgress(m().review!)}>
              {(p) => (
                <span class="tag tag-quorum" data-quorum-progress>
                  {p().text}
                </span>
              )}
            </Show>
            <Show when={(m().iteration ?? 0) > 1}>
              <span class="tag tag-rereview" title={`Version ${m().iteration} of a review you answered before`}>
                Re-review {iterationMark(m().iteration!)}
              </span>
            </Show>
            <Show when={m().status}>
              <span class={`status-tag status-tag-${m().status}`}>{STATUS_TEXT[m().status!]}</span>
            </Show>
            <Show when={m().review!.status === "pending" && left()}>
              <span class="tag" classList={{ urgent: left()!.urgent }}>
                {left()!.text}
              </span>
            </Show>
            <Show when={m().review!.status === "completed"}>
              <span class="tag" classList={{ "tag-ok": !isDismissed(m().review!), "tag-muted": isDismissed(m().review!) }}>
                {isDismissed(m().review!) ? "Dismissed" : "Answered"} {ago(m().review!.completedAt, now())}
              </span>
            </Show>
            <Show when={m().review!.status === "expired"}>
              <span class="tag tag-muted">Expired</span>
            </Show>
          </span>
        </span>
      </a>
    </li>
  );
}
