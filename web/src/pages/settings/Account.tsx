// The signed-in person, changing the password, signing out.
import { createSignal } from "solid-js";
import { fieldErrors, TextField } from "../../components/Field";
import { api, ApiError } from "../../lib/api";
import { signOut } from "../../lib/session";
import { me, toast } from "../../lib/state";
import { fullDate } from "../../lib/time";

export function Account() {
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const currentPassword = String(form.get("currentPassword") ?? "");
    const newPassword = String(form.get("newPassword") ?? "");
    const local: Record<string, string> = {};
    if (!currentPassword) local.currentPassword = "Enter your current password";
    if (newPassword.length < 8) local.newPassword = "At least 8 characters";
    else if (newPassword !== String(form.get("confirm") ?? "")) local.confirm = "The passwords differ";
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      await api.post("/api/auth/change-password", { currentPassword, newPassword });
      formEl.reset();
      toast("Password changed. Other sessions were signed out.", "success");
    } catch (err) {
      setErrors(err instanceof ApiError && err.errors.length ? fieldErrors(err.errors) : { currentPassword: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <section class="card" aria-labelledby="acct-title">
        <h2 id="acct-title">Account</h2>
        <dl class="kv">
          <dt>Name</dt>
          <dd>{me()?.displayName}</dd>
          <dt>Email</dt>
          <dd>{me()?.email}</dd>
          <dt>Role</dt>
          <dd>{me()?.role === "owner" ? "Owner" : "Member"}</dd>
          <dt>Since</dt>
          <dd>{me() ? fullDate(me()!.createdAt) : ""}</dd>
        </dl>
        <button type="button" class="btn" onClick={() => void signOut()}>
          Sign out
        </button>
      </section>
      <section class="card" aria-labelledby="pw-title">
        <h2 id="pw-title">Change password</h2>
        <form onSubmit={submit} novalidate class="stack narrow-form">
          <input type="text" name="username" autocomplete="username" value={me()?.email ?? ""} hidden readonly />
          <TextField
            label="Current password"
            name="currentPassword"
            type="password"
            autocomplete="current-password"
            required
            error={errors().currentPassword}
          />
          <TextField
            label="New password"
            name="newPassword"
            type="password"
            autocomplete="new-password"
            required
            hint="At least 8 characters"
            error={errors().newPassword}
          />
          <TextField label="Repeat new password" name="confirm" type="password" autocomplete="new-password" required error={errors().confirm} />
          <div>
            <button type="submit" class="btn btn-primary" disabled={busy()}>
              {busy() ? "Changing…" : "Change password"}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
