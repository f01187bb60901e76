// Editing a channel: its name, URL and (ntfy) access token, replaced or removed; only what changed is
// sent, checked with the contract's schema first. The kind never changes; the stored token is never shown.
import { createSignal, Show } from "solid-js";
import { updateNotificationChannelBody } from "../../../../../contract/requests/notifications";
import { TextField } from "../../../components/Field";
import { api, ApiError, apiPath } from "../../../lib/api";
import { errorText } from "../../../lib/state";
import type { NotificationChannel } from "../../../lib/types";
import { issueFields, serverFields } from "./kinds";

export function EditChannel(props: { channel: NotificationChannel; onSaved: (c: NotificationChannel) => void; onCancel: () => void }) {
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [removeToken, setRemoveToken] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const c = () => props.channel;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    const change: Record<string, unknown> = {};
    if (s("name") !== c().name) change.name = s("name");
    if (s("url") !== c().url) change.url = s("url");
    if (c().kind === "ntfy") {
      if (removeToken()) change.token = null;
      else if (s("token")) change.token = s("token");
    }
    if (Object.keys(change).length === 0) return props.onCancel();
    const checked = updateNotificationChannelBody.safeParse(change);
    if (!checked.success) {
      setErrors(issueFields(checked.error.issues));
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      props.onSaved(await api.patch<NotificationChannel>(apiPath`/api/notifications/channels/${c().id}`, change));
    } catch (err) {
      setErrors(err instanceof ApiError ? serverFields(err.errors, ["name", "url", "token"], err.message) : { form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} novalidate class="stack narrow-form channel-edit" aria-label={`Edit ${c().name}`}>
      <TextField label="Name" name="name" value={c().name} required error={errors().name} />
      <TextField label="URL" name="url" type="url" inputmode="url" value={c().url} required autocomplete="off" error={errors().url} />
      <Show when={c().kind === "ntfy"}>
        <TextField
          label={c().hasToken ? "New access token" : "Access token"}
          name="token"
          type="password"
          autocomplete="off"
          placeholder="tk_…"
          disabled={removeToken()}
          hint={c().hasToken ? "A token is set. Empty: keep it." : "Only for a protected topic."}
          error={errors().token}
        />
        <Show when={c().hasToken}>
          <label class="choice">
            <input type="checkbox" name="removeToken" checked={removeToken()} onChange={(e) => setRemoveToken(e.currentTarget.checked)} />
            <span class="choice-label">Remove the access token</span>
          </label>
        </Show>
      </Show>
      <Show when={errors().form}>
        <p class="form-error" role="alert">
          {errors().form}
        </p>
      </Show>
      <div class="row gap">
        <button type="submit" class="btn btn-primary btn-sm" disabled={busy()}>
          {busy() ? "Saving…" : "Save changes"}
        </button>
        <button type="button" class="btn btn-sm" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
