// A review's answer, read-only: what was decided, chosen, filled in or written (or that the form was
// dismissed), and the feedback the person gave the agent with it.
import { For, Match, Show, Switch } from "solid-js";
import { Markdown } from "../components/Markdown";
import type { Review } from "../lib/types";
import { isDismissed } from "./labels";
import type { FormField } from "./validate";

const show = (v: unknown) =>
  v === undefined || v === null || v === "" ? "—" : typeof v === "boolean" ? (v ? "Yes" : "No") : typeof v === "object" ? JSON.stringify(v) : String(v);

export function Answer(props: { review: Review }) {
  const r = () => props.review;
  return (
    <div class="answer" data-answer>
      <AnswerBody review={r()} />
      <Show when={r().feedback}>
        <figure class="answer-feedback" data-feedback>
          <figcaption class="answer-feedback-label">Feedback for the agent</figcaption>
          <blockquote class="answer-comment">{r().feedback}</blockquote>
        </figure>
      </Show>
    </div>
  );
}

function AnswerBody(props: { review: Review }) {
  const r = () => props.review;
  const resp = () => r().response ?? {};
  const p = () => r().payload as Record<string, unknown>;
  return (
    <Switch
      fallback={
        <pre class="code">
          <code>{JSON.stringify(resp(), null, 2)}</code>
        </pre>
      }
    >
      <Match when={r().type === "approval"}>
        {(() => {
          const options = (p().options ?? []) as { id: string; label: string; style?: string }[];
          const o = options.find((x) => x.id === resp().selectedOption);
          return (
            <>
              <p class="answer-choice">
                <span class={`chip chip-${o?.style ?? "secondary"}`}>{o?.label ?? show(resp().selectedOption)}</span>
              </p>
              <Show when={typeof resp().comment === "string" && resp().comment}>
                <blockquote class="answer-comment">{String(resp().comment)}</blockquote>
              </Show>
            </>
          );
        })()}
      </Match>
      <Match when={r().type === "selection"}>
        {(() => {
          const items = (p().items ?? []) as { id: string; label: string }[];
          const ids = (resp().selectedIds ?? []) as string[];
          return (
            <ul class="answer-list">
              <For each={ids}>{(id) => <li>{items.find((i) => i.id === id)?.label ?? id}</li>}</For>
            </ul>
          );
        })()}
      </Match>
      <Match when={isDismissed(r())}>
        <p class="answer-choice">
          <span class="chip chip-secondary">Dismissed</span>
        </p>
      </Match>
      <Match when={r().type === "form"}>
        <dl class="kv">
          <For each={(p().fields ?? []) as FormField[]}>
            {(f) => (
              <>
                <dt>{f.label}</dt>
                <dd>
                  {f.type === "select" ? (f.options?.find((o) => o.value === resp()[f.name])?.label ?? show(resp()[f.name])) : show(resp()[f.name])}
                  {f.unit && typeof resp()[f.name] === "number" ? ` ${f.unit}` : ""}
                </dd>
              </>
            )}
          </For>
        </dl>
      </Match>
      <Match when={r().type === "text-input"}>
        <Show when={p().markdown} fallback={<p class="answer-text">{show(resp().text)}</p>}>
          <Markdown text={String(resp().text ?? "")} />
        </Show>
      </Match>
    </Switch>
  );
}
