// Notification channels: the list with each one's status, the "Add channel" form, and a signed
// webhook's secret, shown once after it is added (as API keys are).
import { createSignal, For, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { CopyField } from "../../../components/CopyField";
import { Modal } from "../../../components/Dialog";
import { api } from "../../../lib/api";
import { errorText, toast } from "../../../lib/state";
import type { CreatedNotificationChannel, NotificationChannel } from "../../../lib/types";
import { AddChannel } from "./AddChannel";
import { ChannelItem } from "./ChannelItem";

export function Channels() {
  // A store, so a channel changed in place keeps its item (and that item's test result and edit form).
  const [channels, setChannels] = createStore<NotificationChannel[]>([]);
  const [answerLinks, setAnswerLinks] = createSignal(true);
  const [loaded, setLoaded] = createSignal(false);
  const [secret, setSecret] = createSignal<{ name: string; secret: string }>();

  const load = async () => {
    try {
      const r = await api.get<{ data: NotificationChannel[]; answerLinks: boolean }>("/api/notifications/channels");
      setChannels(reconcile(r.data, { key: "id" }));
      setAnswerLinks(r.answerLinks);
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setLoaded(true);
    }
  };
  onMount(load);

  const replace = (c: NotificationChannel) => setChannels((x) => x.id === c.id, reconcile(c));

  const created = (c: CreatedNotificationChannel) => {
    const { secret: s, ...channel } = c;
    setChannels((list) => [...list, channel]);
    if (s) setSecret({ name: c.name, secret: s });
    else toast(`Added ${c.name}`, "success");
  };

  return (
    <>
      <section class="card" aria-labelledby="chan-title">
        <h2 id="chan-title">Channels</h2>
        <p class="muted">
          Besides push in the browser, Nod can send what your agents ask to ntfy, a Slack-compatible or Discord webhook, or a signed webhook of your own. Use
          "Send test" to check one.
        </p>
        <Show when={loaded() && !answerLinks()}>
          <p class="field-hint" data-testid="no-answer-links">
            This server has no public URL (PUBLIC_URL) set, so notifications carry no answer links or one-tap answers: open Nod to answer.
          </p>
        </Show>
        <Show when={loaded() && channels.length === 0}>
          <p class="empty-inline">No channels yet.</p>
        </Show>
        <ul class="channel-list">
          <For each={channels}>
            {(c) => <ChannelItem channel={c} onChange={replace} onDeleted={(id) => setChannels((list) => list.filter((x) => x.id !== id))} />}
          </For>
        </ul>
      </section>
      <AddChannel onCreated={created} />
      <Show when={secret()}>
        {(s) => (
          <Modal title={`Signing secret of “${s().name}”`} onClose={() => setSecret(undefined)}>
            <p>Your receiver checks each request's signature with this secret. Copy it now: it will not be shown again.</p>
            <CopyField value={s().secret} label="Signing secret" />
            <div class="row end">
              <button type="button" class="btn btn-primary" onClick={() => setSecret(undefined)}>
                Done
              </button>
            </div>
          </Modal>
        )}
      </Show>
    </>
  );
}
