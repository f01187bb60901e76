// Selection: radio buttons (single) or checkboxes (multi), with item descriptions.
import { createSignal, For, onMount, Show } from "solid-js";
import { uid } from "../components/Field";
import { FeedbackField, FormErrors, ReviewForm, useAnswer, type WidgetProps } from "./common";
import { selectionPayload } from "./validate";

export default function Selection(props: WidgetProps) {
  const payload = () => selectionPayload.parse(props.review.payload);
  const multi = () => payload().mode === "multi";
  const answer = useAnswer(props);
  const { busy, fields, formErrors, send } = answer;
  const [selected, setSelected] = createSignal<string[]>([]);
  const name = uid("sel");
  let fieldset!: HTMLFieldSetElement;
  onMount(() => {
    if (props.autofocus) fieldset.querySelector("input")?.focus();
  });
  const toggle = (id: string, on: boolean) => setSelected((s) => (multi() ? (on ? [...s, id] : s.filter((x) => x !== id)) : on ? [id] : s));
  const submit = () => void send({ selectedIds: selected() });
  return (
    <ReviewForm class="selection" onSend={submit}>
      <fieldset ref={fieldset} disabled={props.disabled || busy()} aria-describedby={fields().selectedIds ? `${name}-err` : undefined}>
        <legend class="field-label">{multi() ? "Choose any that apply" : "Choose one"}</legend>
        <For each={payload().items}>
          {(item) => (
            <label class="choice">
              <input
                type={multi() ? "checkbox" : "radio"}
                name={name}
                value={item.id}
                checked={selected().includes(item.id)}
                onChange={(e) => toggle(item.id, e.currentTarget.checked)}
              />
              <span class="choice-text">
                <span class="choice-label">{item.label}</span>
                <Show when={item.description}>
                  <span class="choice-desc">{item.description}</span>
                </Show>
              </span>
            </label>
          )}
        </For>
      </fieldset>
      <Show when={fields().selectedIds}>
        <p class="field-error" id={`${name}-err`} role="alert">
          {fields().selectedIds}
        </p>
      </Show>
      <FeedbackField answer={answer} disabled={props.disabled} />
      <FormErrors errors={formErrors()} />
      <div class="row gap">
        <button type="submit" class="btn btn-primary" disabled={props.disabled || busy()}>
          {busy() ? "Sending…" : "Submit"}
        </button>
        <span class="muted small">{selected().length} selected</span>
      </div>
    </ReviewForm>
  );
}
