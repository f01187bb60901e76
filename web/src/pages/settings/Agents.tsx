// Agents: create, edit (name, description, avatar, tag, webhook URL with its headers and basic auth,
// message retention), the webhook secret (show, copy, rotate), its members, delete. The basic-auth
// password is write-only: the form never shows it; left empty, the stored one is kept. An agent shared
// with the person (they are a member) shows who shared it and its members, and nothing of its webhook.
import { createSignal, For, onMount, Show } from "solid-js";
import { Avatar } from "../../components/Avatar";
import { CopyField } from "../../components/CopyField";
import { confirmDialog } from "../../components/Dialog";
import { fieldErrors, TextField, Field } from "../../components/Field";
import { StatusDot } from "../../components/StatusDot";
import { api, ApiError } from "../../lib/api";
import { agents, errorText, removeAgent, toast, upsertAgent } from "../../lib/state";
import { LIMITS } from "../../../../contract/limits";
import { AgentAudit } from "./AgentAudit";
import { AgentMembers, SharedBy } from "./AgentMembers";
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

/** The tags in use, offered as suggestions so agents land in the same group. */
function TagField(props: { value?: string | null | undefined; error?: string | undefined }) {
  const tags = () => [...new Set(agents.map((a) => a.tag).filter((t): t is string => !!t))].sort();
  return (
    <>
      <TextField
        label="Tag"
        name="tag"
        maxlength={LIMITS.tag}
        list="agent-tags"
        placeholder="e.g. Deploys"
        value={props.value ?? ""}
        hint="Agents with the same tag are grouped in the sidebar. Empty: untagged."
        error={props.error}
      />
      <datalist id="agent-tags">
        <For each={tags()}>{(t) => <option value={t} />}</For>
      </datalist>
    </>
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
    tag: s("tag") || null,
  };
}

/** "Name: value" lines as headers; null for none, or the first line that is not a header. */
function parseHeaders(text: string): { headers: Record<string, string> | null } | { error: string } {
  const headers: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon < 1) return { error: `"${line.trim()}" is not "Name: value"` };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers: Object.keys(headers).length ? headers : null };
}

const headerLines = (headers: Record<string, string> | null | undefined) =>
  Object.entries(headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join("\n");

/**
 * The server's field errors under the form's field names: the webhook's headers and auth are one field
 * each (their paths run deeper: `webhookHeaders.Host`, `webhookAuth.username`).
 */
function formErrors(errors: { path: string; message: string }[]): Record<string, string> {
  const out = fieldErrors(errors.filter((e) => !/^webhook(Headers|Auth)\b/.test(e.path)));
  for (const e of errors) {
    const [top, ...rest] = e.path.split(".");
    if (top !== "webhookHeaders" && top !== "webhookAuth") continue;
    const key = top === "webhookAuth" && rest[0] === "password" ? "webhookPassword" : top === "webhookAuth" ? "webhookUsername" : top;
    out[key] ??= rest.length && top === "webhookHeaders" ? `${rest.join(".")}: ${e.message}` : e.message;
  }
  return out;
}

function localErrors(body: ReturnType<typeof readAgentForm>) {
  const e: Record<string, string> = {};
  if (!body.name) e.name = "Give the agent a name";
  if (body.tag && body.tag.length > LIMITS.tag) e.tag = `At most ${LIMITS.tag} characters`;
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
      setErrors(err instanceof ApiError && err.errors.length ? formErrors(err.errors) : { name: errorText(err) });
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
          <TagField error={errors().tag} />
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
  const shared = () => props.agent.access === "member";
  const retention = () => props.agent.retentionDays ?? null;

  const loadSecret = async () => {
    if (!secret()) setSecret((await api.get<OwnerAgent>(`/api/agents/${a().id}`)).webhookSecret);
  };

  /** Removal of the basic auth, marked in the form and done on Save. */
  const [removeAuth, setRemoveAuth] = createSignal(false);

  /** The webhook's headers and auth as the PATCH gives them; the password only when typed. */
  const readWebhookExtras = (form: HTMLFormElement, e: Record<string, string>) => {
    const f = new FormData(form);
    const parsed = parseHeaders(String(f.get("webhookHeaders") ?? ""));
    if ("error" in parsed) e.webhookHeaders = parsed.error;
    const username = String(f.get("webhookUsername") ?? "").trim();
    const password = String(f.get("webhookPassword") ?? "");
    let webhookAuth: { username: string; password?: string } | null | undefined;
    if (removeAuth()) webhookAuth = null;
    else if (username) webhookAuth = password ? { username, password } : { username };
    else if (password) e.webhookUsername = "Give a username with the password";
    else webhookAuth = a().webhookAuth ? null : undefined; // the username cleared: no more auth
    if (webhookAuth && !webhookAuth.password && !a().webhookAuth) e.webhookPassword = "Give the password (it is never shown again)";
    return { webhookHeaders: "headers" in parsed ? parsed.headers : null, ...(webhookAuth !== undefined ? { webhookAuth } : {}) };
  };

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const body = readAgentForm(form);
    const local = localErrors(body);
    const extras = readWebhookExtras(form, local);
    setErrors(local);
    if (Object.keys(local).length) return;
    try {
      upsertAgent(await api.patch<OwnerAgent>(`/api/agents/${a().id}`, { ...body, ...extras }));
      setEditing(false);
      setRemoveAuth(false);
      toast("Saved", "success");
    } catch (err) {
      setErrors(err instanceof ApiError && err.errors.length ? formErrors(err.errors) : { name: errorText(err) });
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
        <Show when={!shared()}>
          <button type="button" class="btn btn-sm" aria-expanded={editing()} onClick={() => setEditing(!editing())}>
            {editing() ? "Close" : "Edit"}
          </button>
        </Show>
      </div>
      <Show when={shared()}>
        <SharedBy agent={a()} />
      </Show>
      <dl class="kv small">
        <dt>Channel id</dt>
        <dd>
          <code>{a().id}</code>
        </dd>
        <dt>Tag</dt>
        <dd>{a().tag ?? <span class="muted">none</span>}</dd>
        <Show when={!shared()}>
          <dt>Webhook</dt>
          <dd>{a().webhookUrl ? <code>{a().webhookUrl}</code> : <span class="muted">none (answers reach the agent by long-poll or Socket.IO)</span>}</dd>
        </Show>
        <Show when={!shared() && a().webhookHeaders}>
          <dt>Webhook headers</dt>
          <dd>{Object.keys(a().webhookHeaders ?? {}).join(", ")}</dd>
        </Show>
        <Show when={!shared() && a().webhookAuth}>
          <dt>Webhook auth</dt>
          <dd>basic, as {a().webhookAuth?.username}</dd>
        </Show>
        <dt>Messages kept</dt>
        <dd>{retention() ? `${retention()} days` : "forever"}</dd>
      </dl>
      <AgentMembers agent={a()} />
      <AgentAudit agent={a()} />
      <Show when={editing() && !shared()}>
        <form onSubmit={save} novalidate class="stack agent-edit">
          <TextField label="Name" name="name" value={a().name} required error={errors().name} />
          <TextField label="Description" name="description" value={a().description ?? ""} error={errors().description} />
          <TextField label="Avatar URL" name="avatarUrl" type="url" value={a().avatarUrl ?? ""} error={errors().avatarUrl} />
          <TagField value={a().tag} error={errors().tag} />
          <TextField label="Webhook URL" name="webhookUrl" type="url" value={a().webhookUrl ?? ""} error={errors().webhookUrl} />
          <Field label="Webhook headers" hint="Sent with every delivery to the agent's webhook: one Name: value per line." error={errors().webhookHeaders}>
            {(id, describedBy) => (
              <textarea
                id={id}
                name="webhookHeaders"
                class="input mono"
                rows="3"
                placeholder="X-Api-Token: …"
                aria-describedby={describedBy()}
                aria-invalid={errors().webhookHeaders ? "true" : undefined}
                value={headerLines(a().webhookHeaders)}
              />
            )}
          </Field>
          <Show
            when={!removeAuth()}
            fallback={
              <div class="row gap small">
                <span>Basic auth is removed when you save.</span>
                <button type="button" class="btn btn-sm" onClick={() => setRemoveAuth(false)}>
                  Keep basic auth
                </button>
              </div>
            }
          >
            <fieldset class="stack webhook-auth">
              <legend class="field-label">Webhook basic auth</legend>
              <TextField label="Username" name="webhookUsername" autocomplete="off" value={a().webhookAuth?.username ?? ""} error={errors().webhookUsername} />
              <TextField
                label="Password"
                name="webhookPassword"
                type="password"
                autocomplete="new-password"
                placeholder={a().webhookAuth ? "unchanged" : ""}
                hint={a().webhookAuth ? "Stored and never shown. Leave empty to keep it." : "Sent as Authorization: Basic with the username."}
                error={errors().webhookPassword}
              />
              <Show when={a().webhookAuth}>
                <div>
                  <button type="button" class="btn btn-sm btn-danger-ghost" onClick={() => setRemoveAuth(true)}>
                    Remove basic auth
                  </button>
                </div>
              </Show>
            </fieldset>
          </Show>
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
