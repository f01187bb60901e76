// API keys: create (optionally scoped to agents), shown once with Copy, revoke, rotate.
import { createSignal, For, onMount, Show } from "solid-js";
import { CopyField } from "../../components/CopyField";
import { confirmDialog, Modal } from "../../components/Dialog";
import { fieldErrors, TextField } from "../../components/Field";
import { api, ApiError, apiPath } from "../../lib/api";
import { agentById, agents, errorText, toast } from "../../lib/state";
import { ago, now } from "../../lib/time";
import type { ApiKey, IssuedApiKey, List } from "../../lib/types";

export function ApiKeys() {
  const [keys, setKeys] = createSignal<ApiKey[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const [shown, setShown] = createSignal<{ key: string; label: string; rotated: boolean } | undefined>();
  const [scoped, setScoped] = createSignal(false);
  const [scope, setScope] = createSignal<string[]>([]);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);

  const load = async () => {
    try {
      setKeys((await api.get<List<ApiKey>>("/api/api-keys")).data);
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setLoaded(true);
    }
  };
  onMount(load);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const label = String(new FormData(formEl).get("label") ?? "").trim();
    const local: Record<string, string> = {};
    if (!label) local.label = "Give the key a name, e.g. the script that uses it";
    if (scoped() && scope().length === 0) local.agentIds = "Pick at least one agent, or allow all agents";
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const created = await api.post<IssuedApiKey>("/api/api-keys", { label, ...(scoped() ? { agentIds: scope() } : {}) });
      setShown({ key: created.key, label: created.label, rotated: false });
      formEl.reset();
      setScoped(false);
      setScope([]);
      await load();
    } catch (err) {
      setErrors(err instanceof ApiError ? { label: err.message, ...fieldErrors(err.errors) } : { label: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (k: ApiKey) => {
    if (
      !(await confirmDialog({
        title: `Revoke “${k.label}”?`,
        body: "Scripts using this key stop working at once, and its live connections close.",
        confirm: "Revoke key",
        danger: true,
      }))
    )
      return;
    try {
      await api.del(apiPath`/api/api-keys/${k.id}`);
      toast(`Revoked ${k.label}`, "success");
      await load();
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  const rotate = async (k: ApiKey) => {
    if (
      !(await confirmDialog({ title: `Rotate “${k.label}”?`, body: "A new key replaces this one; the old key stops working at once.", confirm: "Rotate key" }))
    )
      return;
    try {
      const r = await api.post<IssuedApiKey>(apiPath`/api/api-keys/${k.id}/rotate`, {});
      setShown({ key: r.key, label: r.label, rotated: true });
      await load();
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  return (
    <>
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <p class="muted">
          Agents and scripts send messages with a key in the <code>x-api-key</code> header. Keys are shown once; Nod keeps only their hash.
        </p>
        <Show when={loaded() && keys().length === 0}>
          <p class="empty-inline">No keys yet.</p>
        </Show>
        <Show when={keys().length > 0}>
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Agents</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={keys()}>
                  {(k) => (
                    <tr data-key={k.id}>
                      <td>{k.label}</td>
                      <td class="mono">{k.keyPrefix}…</td>
                      <td>{k.agentIds ? k.agentIds.map((id) => agentById(id)?.name ?? "deleted agent").join(", ") : <span class="muted">All agents</span>}</td>
                      <td>{k.lastUsedAt ? ago(k.lastUsedAt, now()) : <span class="muted">never</span>}</td>
                      <td class="actions">
                        <button type="button" class="btn btn-sm" onClick={() => rotate(k)} aria-label={`Rotate ${k.label}`}>
                          Rotate
                        </button>
                        <button type="button" class="btn btn-sm btn-danger-ghost" onClick={() => revoke(k)} aria-label={`Revoke ${k.label}`}>
                          Revoke
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </section>
      <section class="card" aria-labelledby="newkey-title">
        <h2 id="newkey-title">New API key</h2>
        <form onSubmit={create} novalidate class="stack narrow-form">
          <TextField label="Name" name="label" placeholder="deploy script" required error={errors().label} />
          <fieldset class="plain">
            <legend class="field-label">Agents this key may use</legend>
            <label class="choice">
              <input type="radio" name="scope" checked={!scoped()} onChange={() => setScoped(false)} />
              <span class="choice-label">All agents (and may create new ones)</span>
            </label>
            <label class="choice">
              <input type="radio" name="scope" checked={scoped()} onChange={() => setScoped(true)} />
              <span class="choice-label">Only these agents</span>
            </label>
            <Show when={scoped()}>
              <div class="scope-list">
                {/* A key speaks as the agent: only the person's own agents, not those shared with them. */}
                <For each={agents.filter((a) => a.access !== "member")} fallback={<p class="muted small">No agents yet.</p>}>
                  {(a) => (
                    <label class="choice">
                      <input
                        type="checkbox"
                        checked={scope().includes(a.id)}
                        onChange={(e) => setScope((s) => (e.currentTarget.checked ? [...s, a.id] : s.filter((x) => x !== a.id)))}
                      />
                      <span class="choice-label">{a.name}</span>
                    </label>
                  )}
                </For>
              </div>
            </Show>
            <Show when={errors().agentIds}>
              <p class="field-error" role="alert">
                {errors().agentIds}
              </p>
            </Show>
          </fieldset>
          <div>
            <button type="submit" class="btn btn-primary" disabled={busy()}>
              Create key
            </button>
          </div>
        </form>
      </section>
      <Show when={shown()}>
        {(s) => (
          <Modal title={s().rotated ? `New key for “${s().label}”` : `Your new key “${s().label}”`} onClose={() => setShown(undefined)}>
            <p>Copy it now: it will not be shown again.</p>
            <CopyField value={s().key} label="API key" />
            <div class="row end">
              <button type="button" class="btn btn-primary" onClick={() => setShown(undefined)}>
                Done
              </button>
            </div>
          </Modal>
        )}
      </Show>
    </>
  );
}
