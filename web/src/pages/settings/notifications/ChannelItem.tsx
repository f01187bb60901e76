// One channel in the list: its kind, name, URL and status (never a token or secret), the on/off switch,
// "Send test" with its result inline, edit, and delete.
import { createSignal, Show } from "solid-js";
import { confirmDialog } from "../../../components/Dialog";
import { api, apiPath } from "../../../lib/api";
import { errorText, toast } from "../../../lib/state";
import { ago, fullDate, now } from "../../../lib/time";
import type { NotificationChannel, NotificationTest } from "../../../lib/types";
import { EditChannel } from "./EditChannel";
import { KIND_INFO } from "./kinds";

const STATE_TEXT = { untested: "Untested", ok: "OK", failing: "Failing" } as const;
const STATE_CLASS = { untested: "status-tag-info", ok: "status-tag-success", failing: "status-tag-error" } as const;

export function ChannelItem(props: { channel: NotificationChannel; onChange: (c: NotificationChannel) => void; onDeleted: (id: string) => void }) {
  const c = () => props.channel;
  const [editing, setEditing] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [testing, setTesting] = createSignal(false);
  const [result, setResult] = createSignal<{ ok: boolean; text: string }>();

  const setEnabled = async (enabled: boolean) => {
    setBusy(true);
    try {
      props.onChange(await api.patch<NotificationChannel>(apiPath`/api/notifications/channels/${c().id}`, { enabled }));
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setBusy(false);
    }
  };

  const test = async () => {
    setTesting(true);
    setResult(undefined);
    try {
      const r = await api.post<NotificationTest>(apiPath`/api/notifications/channels/${c().id}/test`, {});
      props.onChange(r.channel);
      const code = r.statusCode === null ? "" : ` (HTTP ${r.statusCode})`;
      setResult(r.ok ? { ok: true, text: `Test sent${code}.` } : { ok: false, text: `Test failed${code}: ${r.error ?? "no answer"}` });
    } catch (err) {
      setResult({ ok: false, text: `Test failed: ${errorText(err)}` });
    } finally {
      setTesting(false);
    }
  };

  const remove = async () => {
    const ok = await confirmDialog({ title: `Delete “${c().name}”?`, body: "Nothing more is sent to this channel.", confirm: "Delete channel", danger: true });
    if (!ok) return;
    try {
      await api.del(apiPath`/api/notifications/channels/${c().id}`);
      props.onDeleted(c().id);
      toast(`Deleted ${c().name}`, "success");
    } catch (err) {
      toast(errorText(err), "error");
    }
  };

  return (
    <li class="channel-item" data-channel={c().id}>
      <div class="row gap">
        <strong class="channel-name">{c().name}</strong>
        <span class="tag">{KIND_INFO[c().kind].short}</span>
        <span class={`status-tag ${STATE_CLASS[c().status.state]}`}>{STATE_TEXT[c().status.state]}</span>
        <Show when={c().hasToken}>
          <span class="tag">token set</span>
        </Show>
      </div>
      <p class="mono small channel-url">{c().url}</p>
      <p class="small muted">
        <Show when={c().status.lastAttemptAt} fallback="Never sent yet.">
          {(at) => (
            <>
              Last attempt <time title={fullDate(at())}>{ago(at(), now())}</time>
              {c().status.lastStatusCode !== null ? ` (HTTP ${c().status.lastStatusCode})` : ""}
              {c().status.failures > 0 ? ` · ${c().status.failures} failed attempt${c().status.failures === 1 ? "" : "s"} since the last success` : ""}
            </>
          )}
        </Show>
      </p>
      <Show when={c().status.lastError}>
        <p class="small channel-error">Last error: {c().status.lastError}</p>
      </Show>
      <div class="row gap">
        <label class="switch-row">
          <input
            type="checkbox"
            // biome-ignore lint/a11y/useAriaPropsForRole: a checkbox input exposes its own checked state to the switch role (HTML-AAM)
            role="switch"
            aria-label={`Send to ${c().name}`}
            checked={c().enabled}
            disabled={busy()}
            onChange={(e) => {
              const want = e.currentTarget.checked;
              e.currentTarget.checked = c().enabled;
              void setEnabled(want);
            }}
          />
          <span class="small">{c().enabled ? "On" : "Off"}</span>
        </label>
        <span class="grow" />
        <button type="button" class="btn btn-sm" disabled={testing()} onClick={test} aria-label={`Send test to ${c().name}`}>
          {testing() ? "Sending…" : "Send test"}
        </button>
        <button type="button" class="btn btn-sm" onClick={() => setEditing((v) => !v)} aria-expanded={editing()} aria-label={`Edit ${c().name}`}>
          Edit
        </button>
        <button type="button" class="btn btn-sm btn-danger-ghost" onClick={remove} aria-label={`Delete ${c().name}`}>
          Delete
        </button>
      </div>
      <Show when={result()}>
        {(r) => (
          <p class="small" classList={{ "channel-error": !r().ok, "channel-ok": r().ok }} role="status">
            {r().text}
          </p>
        )}
      </Show>
      <Show when={editing()}>
        <EditChannel
          channel={c()}
          onSaved={(updated) => {
            props.onChange(updated);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      </Show>
    </li>
  );
}
