// Text input: a textarea with a length counter and, for markdown reviews, a live preview.
import { createSignal, onMount, Show } from "solid-js";
import { uid } from "../components/Field";
import { Markdown } from "../components/Markdown";
import { LIMITS } from "../../../contract/limits";
import { FeedbackField, FormErrors, ReviewForm, useAnswer, type WidgetProps } from "./common";
import { textInputPayload } from "./validate";

export default function TextInput(props: WidgetProps) {
  const payload = () => textInputPayload.parse(props.review.payload);
  const answer = useAnswer(props);
  const { busy, fields, formErrors, send } = answer;
  const [text, setText] = createSignal(payload().prefill ?? "");
  const id = uid("text");
  const max = () => payload().maxLength ?? LIMITS.text;
  const min = () => payload().minLength ?? 0;
  const over = () => text().length > max();
  const under = () => text().length < min();
  let area!: HTMLTextAreaElement;
  onMount(() => {
    if (props.autofocus) area.focus();
  });
  const submit = () => void send({ text: text() });
  return (
    <ReviewForm class="text-input" onSend={submit}>
      <div class="field" classList={{ "has-error": !!fields().text }}>
        <label for={id} class="field-label">
          Your answer
          <Show when={payload().markdown}>
            <span class="muted"> (markdown)</span>
          </Show>
        </label>
        <textarea
          ref={area}
          id={id}
          class="input"
          rows="5"
          placeholder={payload().placeholder}
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          disabled={props.disabled || busy()}
          aria-describedby={`${id}-count${fields().text ? ` ${id}-err` : ""}`}
          aria-invalid={fields().text ? "true" : undefined}
        />
        <p id={`${id}-count`} class="counter" classList={{ bad: over() || (under() && text().length > 0) }}>
          {text().length}
          {payload().maxLength ? ` / ${payload().maxLength}` : ""} characters
          {min() > 0 ? ` (at least ${min()})` : ""}
        </p>
        <Show when={fields().text}>
          <p id={`${id}-err`} class="field-error" role="alert">
            {fields().text}
          </p>
        </Show>
      </div>
      <Show when={payload().markdown && text().trim()}>
        <figure class="preview">
          <figcaption class="preview-label">Preview</figcaption>
          <Markdown text={text()} />
        </figure>
      </Show>
      <FeedbackField answer={answer} disabled={props.disabled} />
      <FormErrors errors={formErrors()} />
      <div class="row gap">
        <button type="submit" class="btn btn-primary" disabled={props.disabled || busy()}>
          {busy() ? "Sending…" : "Submit"}
        </button>
        <span class="muted small kbd-hint">Ctrl+Enter</span>
      </div>
    </ReviewForm>
  );
}
