// A review's team side on its card: who may answer, the quorum's progress, every vote, who is still
// waited on, and once settled how it was decided. Also the priority chip and the read-only note that
// stands in for the answer controls when the review is not mine to answer (or I voted already).
import { For, Show } from "solid-js";
import { me } from "../lib/state";
import { ago, duration, fullDate, now } from "../lib/time";
import type { Message, Review } from "../lib/types";
import {
  canAnswer,
  hasVoted,
  isAssignee,
  isTeamReview,
  names,
  PRIORITY_LABEL,
  quorumProgress,
  responseLabel,
  responseStyle,
  settledText,
  waitingOn,
} from "./team";

export function PriorityChip(props: { review: Review; class?: string }) {
  const label = () => (props.review.priority ? PRIORITY_LABEL[props.review.priority] : null);
  return (
    <Show when={label()}>
      <span class={`${props.class ?? "chip"} priority priority-${props.review.priority}`} data-priority={props.review.priority}>
        {label()}
      </span>
    </Show>
  );
}

/** "you" for the signed-in person, their name otherwise. */
const who = (p: { id?: string; userId?: string; displayName: string }) => ((p.id ?? p.userId) === me()?.id ? "You" : p.displayName);

export function TeamPanel(props: { message: Message; review: Review }) {
  const r = () => props.review;
  const progress = () => quorumProgress(r());
  const escalatesIn = () => {
    const e = r().escalate;
    if (!e || r().status !== "pending") return null;
    const ms = Date.parse(props.message.createdAt) + e.afterSeconds * 1000 - now();
    return ms > 0 ? duration(ms) : null;
  };
  return (
    <Show when={isTeamReview(r()) || settledText(r())}>
      <div class="team" data-team>
        <Show when={settledText(r(), me()?.id)}>
          {(text) => (
            <p class="team-settled" data-settled>
              {text()}
            </p>
          )}
        </Show>
        <Show when={r().assignees || r().quorum}>
          <p class="team-line small">
            <span class="muted">{r().quorum ? "Voters: " : "Assigned to: "}</span>
            <span data-assignees>{r().assignees ? names(r().assignees!.map((p) => ({ displayName: who(p) }))) : "any member"}</span>
          </p>
        </Show>
        {/* While it is open: once settled, the line above says how it was decided. */}
        <Show when={r().status === "pending" && progress()}>
          {(p) => (
            <div class="quorum" data-quorum>
              <span class="quorum-text" data-quorum-progress>
                {p().text}
              </span>
              <span class="quorum-bar" aria-hidden="true">
                <span style={{ width: `${Math.min(100, (p().votes / Math.max(1, p().count)) * 100)}%` }} />
              </span>
              <Show when={r().quorum?.veto?.length}>
                <span class="muted small">
                  {" "}
                  · a vote for{" "}
                  {r()
                    .quorum!.veto!.map((v) => responseLabel(r(), { selectedOption: v }))
                    .join(" or ")}{" "}
                  decides at once
                </span>
              </Show>
            </div>
          )}
        </Show>
        <Show when={(r().votes ?? []).length}>
          <ul class="votes" aria-label="Votes">
            <For each={r().votes}>
              {(v) => (
                <li data-vote={v.userId}>
                  <span class="vote-who">{who(v)}</span>
                  <span class={`chip chip-${responseStyle(r(), v.response)}`}>{responseLabel(r(), v.response)}</span>
                  <time class="muted small" datetime={v.at} title={fullDate(v.at)}>
                    {ago(v.at, now())}
                  </time>
                </li>
              )}
            </For>
          </ul>
        </Show>
        {/* Read-only (not mine, or voted), ReadOnlyNote says whom it waits for instead. */}
        <Show when={canAnswer(r(), me()?.id) && (r().assignees || r().quorum)}>
          <p class="team-line small" data-waiting>
            <span class="muted">Waiting for: </span>
            {waitingOn(r(), me()?.id)}
          </p>
        </Show>
        <Show when={escalatesIn()}>
          <p class="team-line small muted">
            Goes to {names(r().escalate!.to)} in {escalatesIn()} if still open.
          </p>
        </Show>
      </div>
    </Show>
  );
}

/** In place of the answer controls: the review waits on others, and why not on me. */
export function ReadOnlyNote(props: { review: Review }) {
  const r = () => props.review;
  const mine = () => r().votes?.find((v) => v.userId === me()?.id);
  return (
    <div class="review-readonly" data-readonly role="note">
      <p class="review-waiting">Waiting for {waitingOn(r())}</p>
      <p class="muted small">
        <Show
          when={hasVoted(r(), me()?.id)}
          fallback={<Show when={!isAssignee(r(), me()?.id)}>This review is assigned to {names(r().assignees ?? [])}; you can follow it here.</Show>}
        >
          You voted {responseLabel(r(), mine()?.response)}.
        </Show>
      </p>
    </div>
  );
}
