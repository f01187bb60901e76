// Users (owner only): invite people with a password, change their role, reset passwords, remove them.
import { createSignal, For, onMount, Show } from "solid-js";
import { confirmDialog, Modal } from "../../components/Dialog";
import { fieldErrors, TextField } from "../../components/Field";
import { api, ApiError, apiPath } from "../../lib/api";
import { errorText, me, toast } from "../../lib/state";
import { fullDate } from "../../lib/time";
import type { List, User } from "../../lib/types";

export function Users() {
  const [users, setUsers] = createSignal<User[]>([]);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [resetting, setResetting] = createSignal<User | undefined>();
  const [resetError, setResetError] = createSignal("");
  const load = async () => {
    try {
      setUsers((await api.get<List<User>>("/api/users")).data);
    } catch (err) {
      toast(errorText(err), "error");
    }
  };
  onMount(load);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const f = new FormData(formEl);
    const body = {
      displayName: String(f.get("displayName") ?? "").trim(),
      email: String(f.get("email") ?? "").trim(),
      password: String(f.get("password") ?? ""),
      role: String(f.get("role") ?? "member"),
    };
    const local: Record<string, string> = {};
    if (!body.displayName) local.displayName = "Required";
    if (!/^\S+@\S+\.\S+$/.test(body.email)) local.email = "Enter an email address";
    if (body.password.length < 8) local.password = "At least 8 characters";
    setErrors(local);
    if (Object.keys(local).length) return;
    try {
      await api.post("/api/users", body);
      formEl.reset();
      toast(`Added ${body.displayName}`, "success");
      await load();
    } catch (err) {
      setErrors(err instanceof ApiError && err.errors.length ? fieldErrors(err.errors) : { email: errorText(err) });
    }
  };

  const setRole = async (u: User, role: string) => {
    try {
      await api.patch(apiPath`/api/users/${u.id}`, { role });
      await load();
    } catch (err) {
      toast(errorText(err), "error");
      await load();
    }
  };

  const remove = async (u: User) => {
    if (
      !(await confirmDialog({
        title: `Remove ${u.displayName}?`,
        body: "Their agents, messages, keys and files are deleted too.",
        confirm: "Remove user",
        danger: true,
      }))
    )
      return;
    try {
      await api.del(apiPath`/api/users/${u.id}`);
      await load();
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  const reset = async (e: SubmitEvent) => {
    e.preventDefault();
    const password = String(new FormData(e.currentTarget as HTMLFormElement).get("password") ?? "");
    if (password.length < 8) return setResetError("At least 8 characters");
    try {
      await api.patch(apiPath`/api/users/${resetting()!.id}`, { password });
      toast("Password set; their sessions ended.", "success");
      setResetting(undefined);
    } catch (err) {
      setResetError(errorText(err));
    }
  };

  return (
    <>
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={users()}>
                {(u) => (
                  <tr>
                    <td>
                      {u.displayName}
                      {u.id === me()?.id ? <span class="muted"> (you)</span> : null}
                    </td>
                    <td>{u.email}</td>
                    <td>
                      <select class="input input-sm" aria-label={`Role of ${u.displayName}`} value={u.role} onChange={(e) => setRole(u, e.currentTarget.value)}>
                        <option value="owner" selected={u.role === "owner"}>
                          Owner
                        </option>
                        <option value="member" selected={u.role === "member"}>
                          Member
                        </option>
                      </select>
                    </td>
                    <td>{fullDate(u.createdAt)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="btn btn-sm"
                        onClick={() => {
                          setResetError("");
                          setResetting(u);
                        }}
                      >
                        Set password
                      </button>
                      <Show when={u.id !== me()?.id}>
                        <button type="button" class="btn btn-sm btn-danger-ghost" onClick={() => remove(u)}>
                          Remove
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>
      <section class="card" aria-labelledby="adduser-title">
        <h2 id="adduser-title">Add a user</h2>
        <form onSubmit={create} novalidate class="stack narrow-form">
          <TextField label="Name" name="displayName" required error={errors().displayName} />
          <TextField label="Email" name="email" type="email" autocomplete="off" required error={errors().email} />
          <TextField
            label="Password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            hint="Share it with them; they can change it in Settings."
            error={errors().password}
          />
          <div class="field">
            <label class="field-label" for="new-user-role">
              Role
            </label>
            <select id="new-user-role" name="role" class="input">
              <option value="member">Member</option>
              <option value="owner">Owner</option>
            </select>
          </div>
          <div>
            <button type="submit" class="btn btn-primary">
              Add user
            </button>
          </div>
        </form>
      </section>
      <Show when={resetting()}>
        {(u) => (
          <Modal title={`Set a password for ${u().displayName}`} onClose={() => setResetting(undefined)}>
            <form onSubmit={reset} novalidate class="stack">
              <TextField label="New password" name="password" type="password" autocomplete="new-password" required error={resetError() || undefined} />
              <div class="row end gap">
                <button type="button" class="btn" onClick={() => setResetting(undefined)}>
                  Cancel
                </button>
                <button type="submit" class="btn btn-primary">
                  Set password
                </button>
              </div>
            </form>
          </Modal>
        )}
      </Show>
    </>
  );
}
