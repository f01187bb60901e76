// The "Add channel" form: the kind, a name, the URL (and an ntfy topic's access token), checked with the
// contract's own schema before it is sent; the server's field errors (the SSRF guard, the https rule)
// land at their fields.
import { createSignal, For, Show } from "solid-js";
import { NOTIFICATION_CHANNEL_KINDS } from "../../../../../contract/enums";
import { createNotificationChannelBody } from "../../../../../contract/requests/notifications";
import { Field, TextField } from "../../../components/Field";
import { api, ApiError } from "../../../lib/api";
import { errorText } from "../../../lib/state";
import type { CreatedNotificationChannel, NotificationChannelKind } from "../../../lib/types";
import { issueFields, KIND_INFO, serverFields } from "./kinds";

export function AddChannel(props: { onCreated: (c: CreatedNotificationChannel) => void }) {
  const [kind, setKind] = createSignal<NotificationChannelKind>("ntfy");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const f = new FormData(formEl);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    const draft = { kind: kind(), url: s("url"), ...(s("name") ? { name: s("name") } : {}), ...(kind() === "ntfy" && s("token") ? { token: s("token") } : {}) };
    const checked = createNotificationChannelBody.safeParse(draft);
    if (!checked.success) {
      setErrors(issueFields(checked.error.issues));
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const created = await api.post<CreatedNotificationChannel>("/api/notifications/channels", draft);
      formEl.reset();
      setKind("ntfy");
      props.onCreated(created);
    } catch (err) {
      setErrors(err instanceof ApiError ? serverFields(err.errors, ["kind", "name", "url", "token"], err.message) : { form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="addchan-title">
      <h2 id="addchan-title">Add channel</h2>
      <form onSubmit={submit} novalidate class="stack narrow-form">
        <Field label="Kind" hint={KIND_INFO[kind()].hint} error={errors().kind}>
          {(id, describedBy) => (
            <select
              id={id}
              name="kind"
              class="input"
              aria-describedby={describedBy()}
              value={kind()}
              onChange={(e) => setKind(e.currentTarget.value as NotificationChannelKind)}
            >
              <For each={NOTIFICATION_CHANNEL_KINDS}>{(k) => <option value={k}>{KIND_INFO[k].label}</option>}</For>
            </select>
          )}
        </Field>
        <TextField label="Name" name="name" placeholder="e.g. My phone" hint="Empty: the URL's host." error={errors().name} />
        <TextField
          label="URL"
          name="url"
          type="url"
          inputmode="url"
          required
          placeholder={KIND_INFO[kind()].placeholder}
          error={errors().url}
          autocomplete="off"
        />
        <Show when={kind() === "ntfy"}>
          <TextField
            label="Access token (optional)"
            name="token"
            type="password"
            autocomplete="off"
            placeholder="tk_…"
            hint="Only for a protected topic. Nod never shows it again."
            error={errors().token}
          />
        </Show>
        <Show when={errors().form}>
          <p class="form-error" role="alert">
            {errors().form}
          </p>
        </Show>
        <div>
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {busy() ? "Adding…" : "Add channel"}
          </button>
        </div>
      </form>
    </section>
  );
}
