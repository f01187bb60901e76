// What every review widget shares: sending the answer (with the person's feedback for the agent), its
// errors, and Ctrl/⌘+Enter to submit.
import { createSignal, For, Show, type ParentProps, type Ref } from "solid-js";
import { LIMITS } from "../../../contract/limits";
import { uid } from "../components/Field";
import { answerPath, api, ApiError } from "../lib/api";
import { toast } from "../lib/state";
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
  /** What the person wants the agent to change, sent with any answer (`review.feedback`). */
  const [feedback, setFeedback] = createSignal("");
  // Its own error: a form may well have a field named "feedback".
  const [feedbackError, setFeedbackError] = createSignal<string>();

  /** Validates with the shared schema, then sends. Returns true when the answer was stored. */
  const send = async (response: unknown, extraFieldErrors: Record<string, string> = {}): Promise<boolean> => {
    const checked = validateResponse(props.review, response);
    const merged = checked.ok ? { ...extraFieldErrors } : { ...checked.fields, ...extraFieldErrors };
    if (!checked.ok || Object.keys(extraFieldErrors).length) {
      setFields(merged);
      setFormErrors(checked.ok ? [] : checked.form);
      return false;
    }
    const note = feedback().trim();
    setFeedbackError(note.length > LIMITS.feedback ? `Feedback can be at most ${LIMITS.feedback} characters` : undefined);
    if (feedbackError()) return false;
    setFields({});
    setFormErrors([]);
    setBusy(true);
    try {
      const body = { response: checked.value, ...(note ? { feedback: note } : {}) };
      props.onAnswered(await api.post<Message>(answerPath(props.message), body));
      return true;
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status === 410) props.onAnswered({ ...props.message, review: { ...props.review, status: "expired" } });
        const byField: Record<string, string> = {};
        for (const e of err.errors) {
          if (e.path === "feedback") setFeedbackError(e.message);
          const key = e.path.startsWith("response") ? (e.path.replace(/^response\.?/, "").split(".")[0] ?? "") : "";
          if (key) byField[key] ??= e.message;
        }
        setFields(byField);
        // A team's refusals (not an assignee: 403; voted already, or settled meanwhile: 409) say why in the server's words.
        if (err.status === 403 || err.status === 409)
          toast(err.message || (err.status === 403 ? "You may not answer this review." : "Already answered."), "error");
        setFormErrors([
          err.status === 409
            ? props.review.quorum
              ? err.message
              : "This review was already answered."
            : err.status === 410
              ? "This review has expired."
              : err.message,
        ]);
      } else setFormErrors([String(err)]);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, fields, formErrors, feedback, setFeedback, feedbackError, send };
}

export type AnswerState = ReturnType<typeof useAnswer>;

/**
 * "Feedback for the agent": a textarea behind a small toggle, so the card stays compact. Whatever is
 * written goes with the answer, whichever button sends it.
 */
export function FeedbackField(props: { answer: AnswerState; disabled: boolean }) {
  const [open, setOpen] = createSignal(false);
  const id = uid("feedback");
  const error = () => props.answer.feedbackError();
  let area: HTMLTextAreaElement | undefined;
  return (
    <div class="feedback-field" classList={{ "has-error": !!error() }}>
      <Show
        when={open() || props.answer.feedback() || error()}
        fallback={
          <button
            type="button"
            class="btn btn-link btn-sm feedback-toggle"
            disabled={props.disabled}
            onClick={() => {
              setOpen(true);
              queueMicrotask(() => area?.focus());
            }}
          >
            <span aria-hidden="true">+</span> Add feedback
          </button>
        }
      >
        <div class="field">
          <label for={id} class="field-label">
            Feedback for the agent <span class="muted">(optional)</span>
          </label>
          <textarea
            ref={area}
            id={id}
            class="input"
            rows="2"
            maxlength={LIMITS.feedback}
            placeholder="What should change in the next version?"
            value={props.answer.feedback()}
            onInput={(e) => props.answer.setFeedback(e.currentTarget.value)}
            disabled={props.disabled || props.answer.busy()}
            aria-invalid={error() ? "true" : undefined}
            aria-describedby={error() ? `${id}-err` : undefined}
          />
          <Show when={error()}>
            <p id={`${id}-err`} class="field-error" role="alert">
              {error()}
            </p>
          </Show>
        </div>
      </Show>
    </div>
  );
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
