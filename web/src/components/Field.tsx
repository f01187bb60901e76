// A labelled form control with its hint and error, wired for screen readers.
import { type JSX, Show, splitProps, untrack } from "solid-js";

let n = 0;
export const uid = (prefix = "f") => `${prefix}-${++n}`;

export function Field(props: {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: (id: string, describedBy: () => string | undefined) => JSX.Element;
  required?: boolean;
}) {
  const id = uid();
  const describedBy = () => [props.hint ? `${id}-hint` : "", props.error ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field" classList={{ "has-error": !!props.error }}>
      <label for={id} class="field-label">
        {props.label}
        <Show when={props.required}>
          <span class="req" aria-hidden="true">
            {" "}
            *
          </span>
        </Show>
      </label>
      {untrack(() => props.children(id, describedBy))}
      <Show when={props.hint}>
        <p id={`${id}-hint`} class="field-hint">
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p id={`${id}-err`} class="field-error" role="alert">
          {props.error}
        </p>
      </Show>
    </div>
  );
}

/** An input in a Field. */
export function TextField(props: { label: string; error?: string | undefined; hint?: string; required?: boolean } & JSX.InputHTMLAttributes<HTMLInputElement>) {
  const [local, rest] = splitProps(props, ["label", "error", "hint", "required"]);
  return (
    <Field label={local.label} error={local.error} hint={local.hint} required={local.required}>
      {(id, describedBy) => (
        <input id={id} class="input" aria-describedby={describedBy()} aria-invalid={local.error ? "true" : undefined} required={local.required} {...rest} />
      )}
    </Field>
  );
}

/** Server field errors by the last part of their path. */
export function fieldErrors(errors: { path: string; message: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const key = e.path.split(".").pop() ?? e.path;
    out[key] ??= e.message;
  }
  return out;
}
