// What every review widget shares: sending the answer, its errors, and Ctrl/⌘+Enter to submit.
import { createSignal, For, Show, type ParentProps, type Ref } from "solid-js";
import { api, ApiError, apiPath } from "../lib/api";
import type { Message, Review } from "../lib/types";
import { validateResponse } from "./validate";

export interface WidgetProps {
  message: Message;
  review: Review;
  disabled: boolean;
  autofocus?: boolean;
  onAnswered: (m: Message) => void;
}

export function useAnswer(props: WidgetProps) {
  const [busy, setBusy] = createSignal(false);
  const [fields, setFields] = createSignal<Record<string, string>>({});
  const [formErrors, setFormErrors] = createSignal<string[]>([]);

  /** Validates with the shared schema, then sends. Returns true when the answer was stored. */
  const send = async (response: unknown, extraFieldErrors: Record<string, string> = {}): Promise<boolean> => {
    const checked = validateResponse(props.review, response);
    const merged = checked.ok ? { ...extraFieldErrors } : { ...checked.fields, ...extraFieldErrors };
    if (!checked.ok || Object.keys(extraFieldErrors).length) {
      setFields(merged);
      setFormErrors(checked.ok ? [] : checked.form);
      return false;
    }
    setFields({});
    setFormErrors([]);
    setBusy(true);
    try {
      props.onAnswered(await api.post<Message>(apiPath`/api/messages/${props.message.id}/respond`, { response: checked.value }));
      return true;
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status === 410) props.onAnswered({ ...props.message, review: { ...props.review, status: "expired" } });
        const byField: Record<string, string> = {};
        for (const e of err.errors) {
          const key = e.path.replace(/^response\.?/, "").split(".")[0] ?? "";
          if (key) byField[key] ??= e.message;
        }
        setFields(byField);
        setFormErrors([err.status === 409 ? "This review was already answered." : err.status === 410 ? "This review has expired." : err.message]);
      } else setFormErrors([String(err)]);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, fields, formErrors, send };
}

export function FormErrors(props: { errors: string[] }) {
  return (
    <Show when={props.errors.length}>
      <div class="form-error" role="alert">
        <For each={props.errors}>{(e) => <p>{e}</p>}</For>
      </div>
    </Show>
  );
}

/** Ctrl+Enter / ⌘+Enter inside a widget submits it. */
const submitOnModEnter = (submit: () => void) => (e: KeyboardEvent) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    submit();
  }
};

/** A widget's form: its submit button, or Ctrl/⌘+Enter anywhere in it, sends the answer. */
export function ReviewForm(props: ParentProps<{ class: string; onSend: () => void; ref?: Ref<HTMLFormElement> }>) {
  return (
    <form
      ref={props.ref}
      class={props.class}
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        props.onSend();
      }}
      onKeyDown={submitOnModEnter(() => props.onSend())}
    >
      {props.children}
    </form>
  );
}
