// Quiet hours: a daily window (it may span midnight) in the person's time zone when nothing is sent but
// urgent reviews (worker/notify/rules.ts); saved as a preference, checked with the contract's schema.
import { createSignal, For, Show } from "solid-js";
import { quietHoursSchema } from "../../../../../contract/requests/notifications";
import { Field, TextField } from "../../../components/Field";
import { api, ApiError } from "../../../lib/api";
import { errorText, prefs, setPrefs, toast } from "../../../lib/state";
import type { Preferences } from "../../../lib/types";
import { issueFields, serverFields } from "./kinds";

const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
/** The runtime's IANA zones for the datalist, where the browser can list them. */
const zones = (): string[] => {
  const intl = Intl as { supportedValuesOf?: (key: "timeZone") => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
};

export function QuietHours() {
  const saved = () => prefs().quietHours;
  const [on, setOn] = createSignal(saved() !== null);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    let quietHours = null;
    if (on()) {
      const checked = quietHoursSchema.safeParse({ from: s("from"), to: s("to"), timeZone: s("timeZone") });
      if (!checked.success) {
        setErrors(issueFields(checked.error.issues));
        return;
      }
      quietHours = checked.data;
    }
    setErrors({});
    setBusy(true);
    try {
      // Not savePrefs: its optimistic change, undone on a refusal, would reset what the person typed.
      setPrefs(await api.patch<Preferences>("/api/preferences", { quietHours }));
      toast(quietHours ? `Quiet from ${quietHours.from} to ${quietHours.to} (${quietHours.timeZone}).` : "Quiet hours are off.", "success");
    } catch (err) {
      setErrors(err instanceof ApiError ? serverFields(err.errors, ["from", "to", "timeZone"], err.message) : { form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="quiet-title">
      <h2 id="quiet-title">Quiet hours</h2>
      <p class="muted">
        During quiet hours nothing is sent to this browser or your channels, except reviews an agent marks urgent: those still come through. The inbox still
        shows everything, and a review's reminders come again afterwards.
      </p>
      <form onSubmit={submit} novalidate class="stack narrow-form">
        <label class="switch-row">
          <input
            type="checkbox"
            // biome-ignore lint/a11y/useAriaPropsForRole: a checkbox input exposes its own checked state to the switch role (HTML-AAM)
            role="switch"
            name="quiet"
            checked={on()}
            onChange={(e) => setOn(e.currentTarget.checked)}
          />
          <span class="choice-label">Quiet hours</span>
        </label>
        <Show when={on()}>
          <div class="row gap quiet-times">
            <TextField label="From" name="from" type="time" required value={saved()?.from ?? "22:00"} error={errors().from} />
            <TextField label="To" name="to" type="time" required value={saved()?.to ?? "07:00"} error={errors().to} />
          </div>
          <Field label="Time zone" required hint="An IANA time zone, such as Europe/Berlin." error={errors().timeZone}>
            {(id, describedBy) => (
              <input
                id={id}
                name="timeZone"
                class="input"
                list="quiet-zones"
                autocomplete="off"
                required
                value={saved()?.timeZone ?? localZone()}
                aria-describedby={describedBy()}
                aria-invalid={errors().timeZone ? "true" : undefined}
              />
            )}
          </Field>
          <datalist id="quiet-zones">
            <For each={zones()}>{(z) => <option value={z} />}</For>
          </datalist>
        </Show>
        <Show when={errors().form}>
          <p class="form-error" role="alert">
            {errors().form}
          </p>
        </Show>
        <div>
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {busy() ? "Saving…" : "Save quiet hours"}
          </button>
        </div>
      </form>
    </section>
  );
}
