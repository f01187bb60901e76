// Sign in with email and password.
import { createSignal } from "solid-js";
import { TextField } from "../components/Field";
import { LogoMark } from "../components/Icons";
import { api, ApiError } from "../lib/api";
import { navigate, query } from "../lib/router";
import { enterApp } from "../lib/session";
import type { User } from "../lib/types";

export default function Login() {
  const [message, setMessage] = createSignal("");
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const body = { email: String(form.get("email") ?? "").trim(), password: String(form.get("password") ?? "") };
    if (!body.email || !body.password) {
      setMessage("Enter your email and password.");
      return;
    }
    setBusy(true);
    setMessage("");
    try {
      const user = await api.post<User>("/api/auth/login", body, { quiet401: true });
      await enterApp(user);
      const next = query().get("next");
      navigate(next?.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    } catch (err) {
      setMessage(err instanceof ApiError && err.status === 400 ? "Enter a valid email and your password." : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="auth-page" tabindex="-1">
      <form class="auth-card" onSubmit={submit} novalidate aria-labelledby="login-title">
        <div class="auth-brand">
          <LogoMark size={40} />
        </div>
        <h1 id="login-title">Sign in to Nod</h1>
        <TextField label="Email" name="email" type="email" autocomplete="username" required />
        <TextField label="Password" name="password" type="password" autocomplete="current-password" required />
        <p class="form-error" role="alert">
          {message()}
        </p>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy()}>
          {busy() ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
