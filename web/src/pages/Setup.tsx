// First run: create the owner account (only while nobody exists), then straight into the app.
import { createSignal } from "solid-js";
import { fieldErrors, TextField } from "../components/Field";
import { LogoMark } from "../components/Icons";
import { api, ApiError } from "../lib/api";
import { navigate } from "../lib/router";
import { enterApp } from "../lib/session";
import type { User } from "../lib/types";

export default function Setup() {
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [message, setMessage] = createSignal("");
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const body = {
      displayName: String(form.get("displayName") ?? "").trim(),
      email: String(form.get("email") ?? "").trim(),
      password: String(form.get("password") ?? ""),
    };
    const local: Record<string, string> = {};
    if (!body.displayName) local.displayName = "Tell us your name";
    if (!/^\S+@\S+\.\S+$/.test(body.email)) local.email = "Enter an email address";
    if (body.password.length < 8) local.password = "At least 8 characters";
    else if (body.password !== String(form.get("confirm") ?? "")) local.confirm = "The passwords differ";
    setErrors(local);
    setMessage("");
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const user = await api.post<User>("/api/auth/setup", body);
      await enterApp(user);
      navigate("/", { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        navigate("/login", { replace: true });
        return;
      }
      setErrors(fieldErrors(err instanceof ApiError ? err.errors : []));
      setMessage(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="auth-page" tabindex="-1">
      <form class="auth-card" onSubmit={submit} novalidate aria-labelledby="setup-title">
        <div class="auth-brand">
          <LogoMark size={40} />
        </div>
        <h1 id="setup-title">Welcome to Nod</h1>
        <p class="muted">Create the owner account. You will manage agents, API keys and people from here.</p>
        <TextField label="Your name" name="displayName" autocomplete="name" required error={errors().displayName} />
        <TextField label="Email" name="email" type="email" autocomplete="email" required error={errors().email} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          hint="At least 8 characters"
          error={errors().password}
        />
        <TextField label="Repeat password" name="confirm" type="password" autocomplete="new-password" required error={errors().confirm} />
        <p class="form-error" role="alert">
          {message()}
        </p>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy()}>
          {busy() ? "Creating…" : "Create owner account"}
        </button>
      </form>
    </main>
  );
}
