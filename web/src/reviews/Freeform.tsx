// Freeform: any JSON object, typed in an editor that checks it as you go.
import { createMemo, createSignal, onMount, Show } from "solid-js";
import { uid } from "../components/Field";
import { FeedbackField, FormErrors, ReviewForm, useAnswer, type WidgetProps } from "./common";

function check(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: "The answer must be a JSON object: { … }" };
    return { ok: true, value: v as Record<string, unknown> };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split("\n").length;
      const col = before.length - before.lastIndexOf("\n");
      return { ok: false, error: `${msg.replace(/ in JSON at position \d+.*$/, "")} (line ${line}, column ${col})` };
    }
    return { ok: false, error: msg };
  }
}

export default function Freeform(props: WidgetProps) {
  const answer = useAnswer(props);
  const { busy, formErrors, send } = answer;
  const [text, setText] = createSignal("{\n  \n}");
  const state = createMemo(() => check(text()));
  const id = uid("json");
  let area!: HTMLTextAreaElement;
  onMount(() => {
    if (props.autofocus) area.focus();
  });
  const submit = () => {
    const s = state();
    if (s.ok) void send(s.value);
  };
  const format = () => {
    const s = state();
    if (s.ok) setText(JSON.stringify(s.value, null, 2));
  };
  return (
    <ReviewForm class="freeform" onSend={submit}>
      <div class="field" classList={{ "has-error": !state().ok }}>
        <label for={id} class="field-label">
          Answer as JSON
        </label>
        <textarea
          ref={area}
          id={id}
          class="input mono json-editor"
          rows="7"
          spellcheck={false}
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          disabled={props.disabled || busy()}
          aria-describedby={`${id}-state`}
          aria-invalid={state().ok ? undefined : "true"}
        />
        <p id={`${id}-state`} class="json-state" classList={{ ok: state().ok, bad: !state().ok }} aria-live="polite">
          <Show when={state().ok} fallback={(state() as { error: string }).error}>
            Valid JSON object
          </Show>
        </p>
      </div>
      <FeedbackField answer={answer} disabled={props.disabled} />
      <FormErrors errors={formErrors()} />
      <div class="row gap">
        <button type="submit" class="btn btn-primary" disabled={props.disabled || busy() || !state().ok}>
          {busy() ? "Sending…" : "Submit"}
        </button>
        <button type="button" class="btn" onClick={format} disabled={props.disabled || !state().ok}>
          Format
        </button>
      </div>
    </ReviewForm>
  );
}
