// Form: the 12 field types (text number email url textarea select checkbox date time datetime range
// password), each checked with the Worker's fieldSchema before anything is sent. Fields start at their
// default (`default` or Placet's `defaultValue`); number and range fields show their unit; a payload with
// `dismissLabel` offers a button that answers `{_dismissed: true}` instead.
import { createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { createStore } from "solid-js/store";
import { uid } from "../components/Field";
import { FeedbackField, FormErrors, ReviewForm, useAnswer, type WidgetProps } from "./common";
import { DISMISSED, fieldDefault, formPayload, type FormField } from "./validate";
import { FORM_FIELD_INPUT_TYPES } from "../../../contract/enums";

type Value = string | number | boolean | undefined;

const AUTOCOMPLETE: Partial<Record<FormField["type"], string>> = { email: "email", url: "url", password: "new-password" };

function initial(f: FormField): Value {
  const d = fieldDefault(f);
  switch (f.type) {
    case "checkbox":
      return d === true;
    case "number":
      return typeof d === "number" ? d : undefined;
    case "range": {
      if (typeof d === "number") return d;
      const min = typeof f.min === "number" ? f.min : 0;
      const max = typeof f.max === "number" ? f.max : 100;
      const mid = min + (max - min) / 2;
      return f.step ? min + Math.round((mid - min) / f.step) * f.step : Math.round(mid);
    }
    default:
      return typeof d === "string" ? d : typeof d === "number" ? String(d) : undefined;
  }
}

function isEmpty(v: Value) {
  return v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));
}

export default function Form(props: WidgetProps) {
  const payload = () => formPayload.parse(props.review.payload);
  const answer = useAnswer(props);
  const { busy, fields, formErrors, send } = answer;
  const [values, setValues] = createStore<Record<string, Value>>(Object.fromEntries(payload().fields.map((f) => [f.name, initial(f)])));
  const [touched, setTouched] = createSignal(false);
  const [dismissing, setDismissing] = createSignal(false);
  let form!: HTMLFormElement;
  onMount(() => {
    if (props.autofocus) form.querySelector<HTMLElement>("input, select, textarea")?.focus();
  });

  const submit = async () => {
    setTouched(true);
    const response: Record<string, unknown> = {};
    const missing: Record<string, string> = {};
    for (const f of payload().fields) {
      const v = values[f.name];
      if (f.type === "checkbox") response[f.name] = v === true;
      else if (isEmpty(v)) {
        if (f.required) missing[f.name] = "This field is required";
      } else response[f.name] = v;
    }
    const ok = await send(response, missing);
    if (!ok) queueMicrotask(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  };

  /** Declining the whole form: no field is checked, nothing of it is sent. */
  const dismiss = async () => {
    setDismissing(true);
    await send(DISMISSED);
    setDismissing(false);
  };

  return (
    <ReviewForm ref={form} class="review-form" onSend={() => void submit()}>
      <fieldset disabled={props.disabled || busy()} class="plain">
        <legend class="sr-only">Form</legend>
        <For each={payload().fields}>
          {(f) => <FieldInput field={f} value={values[f.name]} error={fields()[f.name]} onChange={(v) => setValues(f.name, v)} />}
        </For>
      </fieldset>
      <FeedbackField answer={answer} disabled={props.disabled} />
      <FormErrors errors={formErrors()} />
      <Show when={touched() && Object.keys(fields()).length > 0}>
        <p class="sr-only" role="status">
          {Object.keys(fields()).length} field(s) need attention
        </p>
      </Show>
      <div class="row gap">
        <button type="submit" class="btn btn-primary" disabled={props.disabled || busy()}>
          {busy() && !dismissing() ? "Sending…" : (payload().submitLabel ?? "Submit")}
        </button>
        <Show when={payload().dismissLabel}>
          {(label) => (
            <button
              type="button"
              class="btn btn-ghost"
              disabled={props.disabled || busy()}
              aria-busy={dismissing()}
              onClick={() => void dismiss()}
              data-dismiss
            >
              {dismissing() ? "Sending…" : label()}
            </button>
          )}
        </Show>
        <span class="muted small kbd-hint">Ctrl+Enter</span>
      </div>
    </ReviewForm>
  );
}

function FieldInput(props: { field: FormField; value: Value; error: string | undefined; onChange: (v: Value) => void }) {
  const f = () => props.field;
  const id = uid("ff");
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const unitId = `${id}-unit`;
  /** The unit applies to number and range inputs only ("ms", "€"). */
  const unit = () => (f().type === "number" || f().type === "range" ? f().unit : undefined);
  const describedBy = () => [unit() ? unitId : "", f().description ? hintId : "", props.error ? errId : ""].filter(Boolean).join(" ") || undefined;
  const invalid = () => (props.error ? "true" : undefined);
  const numAttr = (v: number | string | undefined) => (v === undefined ? undefined : String(v));
  const lengthMax = () => (["text", "textarea", "password"].includes(f().type) && typeof f().max === "number" ? (f().max as number) : undefined);

  const label = (
    <label for={id} class="field-label">
      {f().label}
      <Show when={f().required}>
        <span class="req" aria-hidden="true">
          {" "}
          *
        </span>
      </Show>
    </label>
  );

  return (
    <div class={`field field-${f().type}`} classList={{ "has-error": !!props.error }} data-field={f().name}>
      <Switch
        fallback={
          <>
            {label}
            <span class="input-row">
              <input
                id={id}
                name={f().name}
                class="input"
                type={FORM_FIELD_INPUT_TYPES[f().type] ?? "text"}
                placeholder={f().placeholder}
                required={f().required}
                autocomplete={AUTOCOMPLETE[f().type] ?? "off"}
                min={f().type !== "text" && f().type !== "password" ? numAttr(f().min) : undefined}
                max={lengthMax() === undefined && f().type !== "text" && f().type !== "password" ? numAttr(f().max) : undefined}
                maxlength={lengthMax()}
                step={f().step !== undefined ? String(f().step) : f().type === "number" ? "any" : undefined}
                value={props.value === undefined ? "" : String(props.value)}
                onInput={(e) => {
                  const el = e.currentTarget;
                  props.onChange(f().type === "number" ? (el.value === "" ? undefined : el.valueAsNumber) : el.value);
                }}
                aria-invalid={invalid()}
                aria-describedby={describedBy()}
              />
              <Show when={unit()}>
                <span id={unitId} class="field-unit">
                  {unit()}
                </span>
              </Show>
            </span>
          </>
        }
      >
        <Match when={f().type === "textarea"}>
          {label}
          <textarea
            id={id}
            name={f().name}
            class="input"
            rows="3"
            placeholder={f().placeholder}
            required={f().required}
            maxlength={lengthMax()}
            value={(props.value as string | undefined) ?? ""}
            onInput={(e) => props.onChange(e.currentTarget.value)}
            aria-invalid={invalid()}
            aria-describedby={describedBy()}
          />
        </Match>
        <Match when={f().type === "select"}>
          {label}
          <select
            id={id}
            name={f().name}
            class="input"
            required={f().required}
            onChange={(e) => props.onChange(e.currentTarget.value || undefined)}
            aria-invalid={invalid()}
            aria-describedby={describedBy()}
          >
            <option value="" selected={props.value === undefined}>
              {f().placeholder ?? "Choose…"}
            </option>
            <For each={f().options ?? []}>
              {(o) => (
                <option value={o.value} selected={props.value === o.value}>
                  {o.label}
                </option>
              )}
            </For>
          </select>
        </Match>
        <Match when={f().type === "checkbox"}>
          <label class="choice" for={id}>
            <input
              id={id}
              name={f().name}
              type="checkbox"
              checked={props.value === true}
              onChange={(e) => props.onChange(e.currentTarget.checked)}
              aria-invalid={invalid()}
              aria-describedby={describedBy()}
            />
            <span class="choice-label">
              {f().label}
              <Show when={f().required}>
                <span class="req" aria-hidden="true">
                  {" "}
                  *
                </span>
              </Show>
            </span>
          </label>
        </Match>
        <Match when={f().type === "range"}>
          {label}
          <div class="range-row">
            <input
              id={id}
              name={f().name}
              type="range"
              min={numAttr(f().min) ?? "0"}
              max={numAttr(f().max) ?? "100"}
              step={f().step !== undefined ? String(f().step) : "1"}
              value={String(props.value ?? "")}
              onInput={(e) => props.onChange(e.currentTarget.valueAsNumber)}
              aria-invalid={invalid()}
              aria-describedby={describedBy()}
            />
            <output for={id} class="range-value">
              {String(props.value ?? "")}
              <Show when={unit()}>
                <span id={unitId} class="field-unit">
                  {" "}
                  {unit()}
                </span>
              </Show>
            </output>
          </div>
        </Match>
      </Switch>
      <Show when={f().description}>
        <p id={hintId} class="field-hint" classList={{ "choice-hint": f().type === "checkbox" }}>
          {f().description}
        </p>
      </Show>
      <Show when={props.error}>
        <p id={errId} class="field-error" role="alert">
          {props.error}
        </p>
      </Show>
    </div>
  );
}
