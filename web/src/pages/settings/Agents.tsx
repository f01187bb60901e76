// Agents: create, edit (name, description, avatar, webhook URL, message retention), the webhook secret
// (show, copy, rotate), delete.
import { createSignal, For, onMount, Show } from "solid-js";
import { Avatar } from "../../components/Avatar";
import { CopyField } from "../../components/CopyField";
import { confirmDialog } from "../../components/Dialog";
import { fieldErrors, TextField, Field } from "../../components/Field";
import { StatusDot } from "../../components/StatusDot";
import { api, ApiError } from "../../lib/api";
import { agents, errorText, removeAgent, toast, upsertAgent } from "../../lib/state";
import type { Agent, OwnerAgent } from "../../lib/types";

const syncLive = () => void import("../../lib/live").then((m) => m.syncSubscriptions());

/** An agent's message retention in days, empty for forever; the same field creates and edits. */
function RetentionField(props: { value?: number | null | undefined; error?: string | undefined }) {
  return (
    <TextField
      label="Keep messages for N days (empty: forever)"
      name="retentionDays"
      type="number"
      inputmode="numeric"
      min="1"
      max="3650"
      step="1"
      placeholder="forever"
      value={props.value ?? ""}
      hint="Older messages and their files are deleted by the hourly clean-up; the newest message always stays."
      error={props.error}
    />
  );
}

function readAgentForm(form: HTMLFormElement) {
  const f = new FormData(form);
  const s = (k: string) => String(f.get(k) ?? "").trim();
  const days = s("retentionDays");
  return {
    name: s("name"),
    description: s("description") || null,
    avatarUrl: s("avatarUrl") || null,
    webhookUrl: s("webhookUrl") || null,
    retentionDays: days === "" ? null : Number(days),
  };
}

function localErrors(body: ReturnType<typeof readAgentForm>) {
  const e: Record<string, string> = {};
  if (!body.name) e.name = "Give the agent a name";
  if (body.webhookUrl && !/^https?:\/\/\S+$/i.test(body.webhookUrl)) e.webhookUrl = "Must be an http(s) URL";
  if (body.avatarUrl && !/^(https?:\/\/|data:image\/)/i.test(body.avatarUrl)) e.avatarUrl = "Must be an http(s) or data:image URL";
  if (body.retentionDays !== null && !(Number.isInteger(body.retentionDays) && body.retentionDays >= 1 && body.retentionDays <= 3650)) {
    e.retentionDays = "A whole number of days from 1 to 3650, or empty to keep messages forever";
  }
  return e;
}

export function AgentsSettings() {
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  onMount(() => {
    const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    target?.scrollIntoView({ block: "start" });
  });
  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const body = readAgentForm(formEl);
    const local = localErrors(body);
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const created = await api.post<OwnerAgent>("/api/agents", Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)));
      upsertAgent({ ...created, unreadCount: 0 });
      syncLive();
      formEl.reset();
      toast(`Created ${created.name}`, "success");
    } catch (err) {
      setErrors(err instanceof ApiError && err.errors.length ? fieldErrors(err.errors) : { name: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <section class="card" aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        <p class="muted">Each agent is a conversation (a channel). Its id is the channelId agents send to.</p>
        <Show when={agents.length === 0}>
          <p class="empty-inline">No agents yet: create the first one below.</p>
        </Show>
        <ul class="agent-cards">
          <For each={agents}>{(a) => <AgentEditor agent={a} />}</For>
        </ul>
      </section>
      <section class="card" aria-labelledby="newagent-title">
        <h2 id="newagent-title">New agent</h2>
        <form onSubmit={create} novalidate class="stack narrow-form">
          <TextField label="Name" name="name" required placeholder="Deploy bot" error={errors().name} />
          <TextField label="Description" name="description" placeholder="What it does" error={errors().description} />
          <TextField label="Avatar URL" name="avatarUrl" type="url" placeholder="https://…" error={errors().avatarUrl} />
          <TextField
            label="Webhook URL"
            name="webhookUrl"
            type="url"
            placeholder="https://example.com/nod-webhook"
            hint="Answers and your messages are POSTed here, signed with the agent's secret."
            error={errors().webhookUrl}
          />
          <RetentionField error={errors().retentionDays} />
          <div>
            <button type="submit" class="btn btn-primary" disabled={busy()}>
              Create agent
            </button>
          </div>
        </form>
      </section>
    </>
  );
}

function AgentEditor(props: { agent: Agent }) {
  const [editing, setEditing] = createSignal(false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [secret, setSecret] = createSignal<string | undefined>(props.agent.webhookSecret);
  const [reveal, setReveal] = createSignal(false);
  const a = () => props.agent;
  const retention = () => props.agent.retentionDays ?? null;

  const loadSecret = async () => {
    if (!secret()) setSecret((await api.get<OwnerAgent>(`/api/agents/${a().id}`)).webhookSecret);
  };

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const body = readAgentForm(e.currentTarget as HTMLFormElement);
    const local = localErrors(body);
    setErrors(local);
    if (Object.keys(local).length) return;
    try {
      upsertAgent(await api.patch<OwnerAgent>(`/api/agents/${a().id}`, body));
      setEditing(false);
      toast("Saved", "success");
    } catch (err) {
      setErrors(err instanceof ApiError && err.errors.length ? fieldErrors(err.errors) : { name: errorText(err) });
    }
  };

  const rotateSecret = async () => {
    if (
      !(await confirmDialog({
        title: "Rotate the webhook secret?",
        body: "Webhooks are signed with the new secret from now on; update your receiver.",
        confirm: "Rotate secret",
      }))
    )
      return;
    try {
      const updated = await api.post<OwnerAgent>(`/api/agents/${a().id}/rotate-webhook-secret`, {});
      setSecret(updated.webhookSecret);
      setReveal(true);
      toast("New webhook secret", "success");
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  const remove = async () => {
    if (
      !(await confirmDialog({
        title: `Delete ${a().name}?`,
        body: "Its messages, reviews and files are deleted. This cannot be undone.",
        confirm: "Delete agent",
        danger: true,
      }))
    )
      return;
    try {
      await api.del(`/api/agents/${a().id}`);
      removeAgent(a().id);
      void import("../../lib/live").then((m) => m.syncSubscriptions());
      toast("Agent deleted", "success");
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  return (
    <li class="agent-card" id={`agent-${a().id}`}>
      <div class="agent-card-head">
        <span class="avatar-wrap">
          <Avatar name={a().name} id={a().id} url={a().avatarUrl} />
          <StatusDot status={a().status} />
        </span>
        <div class="grow">
          <h3 class="agent-card-name">{a().name}</h3>
          <p class="small muted">{a().description || "No description"}</p>
        </div>
        <button type="button" class="btn btn-sm" aria-expanded={editing()} onClick={() => setEditing(!editing())}>
          {editing() ? "Close" : "Edit"}
        </button>
      </div>
      <dl class="kv small">
        <dt>Channel id</dt>
        <dd>
          <code>{a().id}</code>
        </dd>
        <dt>Webhook</dt>
        <dd>{a().webhookUrl ? <code>{a().webhookUrl}</code> : <span class="muted">none (answers reach the agent by long-poll or Socket.IO)</span>}</dd>
        <dt>Messages kept</dt>
        <dd>{retention() ? `${retention()} days` : "forever"}</dd>
      </dl>
      <Show when={editing()}>
        <form onSubmit={save} novalidate class="stack agent-edit">
          <TextField label="Name" name="name" value={a().name} required error={errors().name} />
          <TextField label="Description" name="description" value={a().description ?? ""} error={errors().description} />
          <TextField label="Avatar URL" name="avatarUrl" type="url" value={a().avatarUrl ?? ""} error={errors().avatarUrl} />
          <TextField label="Webhook URL" name="webhookUrl" type="url" value={a().webhookUrl ?? ""} error={errors().webhookUrl} />
          <RetentionField value={retention()} error={errors().retentionDays} />
          <Field label="Webhook signing secret" hint="Verify the webhook-signature header with it (Standard Webhooks).">
            {(id) => (
              <div class="secret-row" id={id}>
                <Show
                  when={reveal() && secret()}
                  fallback={
                    <button type="button" class="btn btn-sm" onClick={() => void loadSecret().then(() => setReveal(true))}>
                      Show secret
                    </button>
                  }
                >
                  <CopyField value={secret()!} label="Webhook secret" />
                </Show>
                <button type="button" class="btn btn-sm" onClick={rotateSecret}>
                  Rotate secret
                </button>
              </div>
            )}
          </Field>
          <div class="row gap">
            <button type="submit" class="btn btn-primary">
              Save
            </button>
            <span class="grow" />
            <button type="button" class="btn btn-danger-ghost" onClick={remove}>
              Delete agent
            </button>
          </div>
        </form>
      </Show>
    </li>
  );
}
