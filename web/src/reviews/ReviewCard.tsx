// A review on a message: its widget while pending (with the time left), its answer once completed,
// and a notice once expired. A team's review also shows who may answer, the votes and who is still
// waited on (TeamPanel); one that is not mine to answer, or that I voted on, is read-only. Its trail (the
// audit log's entries for it) opens below. Loaded on demand, together with zod and the shared schemas.
import { createMemo, Match, Show, Switch } from "solid-js";
import { Dynamic } from "solid-js/web";
import { pluginOf, FRAME_PLUGINS } from "../components/PluginView";
import { me } from "../lib/state";
import { ago, fullDate, now, timeLeft } from "../lib/time";
import type { Message, ReviewType } from "../lib/types";
import { Answer } from "./Answer";
import Approval from "./Approval";
import Form from "./Form";
import Freeform from "./Freeform";
import Selection from "./Selection";
import { isDismissed, REVIEW_TYPE_LABEL } from "./labels";
import { canAnswer } from "./team";
import { PriorityChip, ReadOnlyNote, TeamPanel } from "./TeamPanel";
import TextInput from "./TextInput";
import { Trail } from "./Trail";
import { AnswerLinkButton } from "./AnswerLinkButton";

const WIDGETS = { approval: Approval, selection: Selection, form: Form, "text-input": TextInput, freeform: Freeform } as const satisfies Record<
  ReviewType,
  unknown
>;

export default function ReviewCard(props: { message: Message; onAnswered: (m: Message) => void; autofocus?: boolean }) {
  const review = () => props.message.review!;
  const left = createMemo(() => (review().status === "pending" ? timeLeft(review().expiresAt, now()) : null));
  const state = () => (review().status === "pending" && left() && left()!.ms <= 0 ? "expiring" : review().status);
  const viaPlugin = () => review().type === "freeform" && FRAME_PLUGINS.includes(pluginOf(props.message) ?? "");
  const titleId = `rv-${props.message.id}`;
  return (
    <section class={`review-card review-${state()}`} aria-labelledby={titleId} data-review-type={review().type} data-review-state={state()}>
      <header class="review-head">
        <span class="review-type" id={titleId}>
          {REVIEW_TYPE_LABEL[review().type]} review
        </span>
        <PriorityChip review={review()} />
        <Switch>
          <Match when={state() === "pending"}>
            <span
              class="pill pill-pending"
              classList={{ urgent: !!left()?.urgent }}
              title={review().expiresAt ? `Expires ${fullDate(review().expiresAt!)}` : undefined}
            >
              Pending{left() ? ` · ${left()!.text}` : ""}
            </span>
          </Match>
          <Match when={state() === "expiring"}>
            <span class="pill pill-expired">Expiring…</span>
          </Match>
          <Match when={state() === "completed"}>
            <span class="pill pill-completed" classList={{ "pill-dismissed": isDismissed(review()) }}>
              {isDismissed(review()) ? "Dismissed" : "Answered"} {review().completedAt ? ago(review().completedAt, now()) : ""}
            </span>
          </Match>
          <Match when={state() === "expired"}>
            <span class="pill pill-expired">Expired</span>
          </Match>
        </Switch>
      </header>
      <TeamPanel message={props.message} review={review()} />
      <Switch>
        <Match when={state() === "completed"}>
          <Answer review={review()} />
        </Match>
        <Match when={state() === "expired" || state() === "expiring"}>
          <p class="muted">
            {state() === "expired" ? "This review expired without an answer" : "This review is expiring"}
            {review().expiresAt ? ` (${fullDate(review().expiresAt!)}).` : "."}
          </p>
        </Match>
        <Match when={state() === "pending" && !canAnswer(review(), me()?.id)}>
          <ReadOnlyNote review={review()} />
        </Match>
        <Match when={state() === "pending"}>
          <Show
            when={viaPlugin()}
            fallback={
              <Dynamic
                component={WIDGETS[review().type]}
                message={props.message}
                review={review()}
                disabled={false}
                autofocus={props.autofocus}
                onAnswered={props.onAnswered}
              />
            }
          >
            <details class="json-fallback">
              <summary>Answer with JSON instead</summary>
              <Freeform message={props.message} review={review()} disabled={false} onAnswered={props.onAnswered} />
            </details>
          </Show>
          <AnswerLinkButton messageId={props.message.id} />
        </Match>
      </Switch>
      <Trail message={props.message} />
    </section>
  );
}
