// A review's answer, read-only: what was decided, chosen, filled in or written.
import { For, Match, Show, Switch } from "solid-js";
import { Markdown } from "../components/Markdown";
import type { Review } from "../lib/types";
import type { FormField } from "./validate";

const show = (v: unknown) =>
  v === undefined || v === null || v === "" ? "—" : typeof v === "boolean" ? (v ? "Yes" : "No") : typeof v === "object" ? JSON.stringify(v) : String(v);

export function Answer(props: { review: Review }) {
  const r = () => props.review;
  const resp = () => r().response ?? {};
  const p = () => r().payload as Record<string, unknown>;
  return (
    <div class="answer" data-answer>
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
        <Match when={r().type === "form"}>
          <dl class="kv">
            <For each={(p().fields ?? []) as FormField[]}>
              {(f) => (
                <>
                  <dt>{f.label}</dt>
                  <dd>{f.type === "select" ? (f.options?.find((o) => o.value === resp()[f.name])?.label ?? show(resp()[f.name])) : show(resp()[f.name])}</dd>
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
    </div>
  );
}
