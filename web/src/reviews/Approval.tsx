// Approval: one button per option in its style (primary, danger, secondary, ghost), an optional comment.
import { createSignal, For, onMount, Show } from "solid-js";
import { uid } from "../components/Field";
import { FeedbackField, FormErrors, useAnswer, type WidgetProps } from "./common";
import { approvalPayload } from "./validate";

export default function Approval(props: WidgetProps) {
  const payload = () => approvalPayload.parse(props.review.payload);
  const answer = useAnswer(props);
  const { busy, fields, formErrors, send } = answer;
  const [comment, setComment] = createSignal("");
  const [chosen, setChosen] = createSignal<string>();
  const id = uid("comment");
  let group!: HTMLFieldSetElement;
  onMount(() => {
    if (props.autofocus) group.querySelector("button")?.focus();
  });
  const choose = async (option: string) => {
    setChosen(option);
    const c = comment().trim();
    await send({ selectedOption: option, ...(c ? { comment: c } : {}) });
  };
  return (
    <div class="approval">
      <Show when={payload().allowComment}>
        <div class="field" classList={{ "has-error": !!fields().comment }}>
          <label for={id} class="field-label">
            Comment <span class="muted">(optional)</span>
          </label>
          <textarea id={id} class="input" rows="2" value={comment()} onInput={(e) => setComment(e.currentTarget.value)} disabled={props.disabled || busy()} />
          <Show when={fields().comment}>
            <p class="field-error" role="alert">
              {fields().comment}
            </p>
          </Show>
        </div>
      </Show>
      <FeedbackField answer={answer} disabled={props.disabled} />
      <fieldset class="approval-buttons" aria-label="Your decision" ref={group}>
        <For each={payload().options}>
          {(o) => (
            <button
              type="button"
              class={`btn btn-${o.style ?? "secondary"}`}
              disabled={props.disabled || busy()}
              aria-busy={busy() && chosen() === o.id}
              onClick={() => choose(o.id)}
              data-option={o.id}
            >
              {busy() && chosen() === o.id ? "Sending…" : o.label}
            </button>
          )}
        </For>
      </fieldset>
      <FormErrors errors={[...formErrors(), ...(fields().selectedOption ? [fields().selectedOption!] : [])]} />
    </div>
  );
}
