// Writing to an agent: text (Enter sends, Shift+Enter for a new line) and attachments.
import { createSignal, For, Show } from "solid-js";
import { api, storeFile } from "../lib/api";
import { errorText, toast } from "../lib/state";
import { bytes } from "../lib/time";
import type { Agent, Message } from "../lib/types";
import { ClipIcon, SendIcon } from "./Icons";

interface Pending {
  key: number;
  name: string;
  size: number;
  id?: string;
  error?: string;
}

let seq = 0;

export function Composer(props: { agent: Agent; onSent: (m: Message) => void }) {
  const [text, setText] = createSignal("");
  const [files, setFiles] = createSignal<Pending[]>([]);
  const [busy, setBusy] = createSignal(false);
  let area!: HTMLTextAreaElement;
  let picker!: HTMLInputElement;

  const uploading = () => files().some((f) => !f.id && !f.error);
  const ready = () => (text().trim().length > 0 || files().some((f) => f.id)) && !uploading() && !busy();

  const add = (list: FileList | File[]) => {
    for (const file of Array.from(list)) {
      const key = ++seq;
      setFiles((fs) => [...fs, { key, name: file.name, size: file.size }]);
      storeFile(props.agent.id, file, file.name).then(
        (stored) => setFiles((fs) => fs.map((f) => (f.key === key ? { ...f, id: stored.id } : f))),
        (err) => setFiles((fs) => fs.map((f) => (f.key === key ? { ...f, error: errorText(err) } : f))),
      );
    }
  };

  const send = async () => {
    if (!ready()) return;
    setBusy(true);
    const attachmentIds = files().flatMap((f) => (f.id ? [f.id] : []));
    try {
      const m = await api.post<Message>("/api/messages", {
        channelId: props.agent.id,
        ...(text().trim() ? { text: text() } : {}),
        ...(attachmentIds.length ? { attachmentIds } : {}),
        clientId: crypto.randomUUID(),
      });
      setText("");
      setFiles([]);
      props.onSent(m);
      area.focus();
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        if (e.dataTransfer?.files.length) add(e.dataTransfer.files);
      }}
    >
      <Show when={files().length}>
        <ul class="composer-files" aria-label="Attachments">
          <For each={files()}>
            {(f) => (
              <li class="chip-file" classList={{ bad: !!f.error }}>
                <span class="file-name">{f.name}</span>
                <span class="muted small">{f.error ? f.error : f.id ? bytes(f.size) : "uploading…"}</span>
                <button
                  type="button"
                  class="btn-icon btn-xs"
                  aria-label={`Remove ${f.name}`}
                  onClick={() => setFiles((fs) => fs.filter((x) => x.key !== f.key))}
                >
                  ×
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="composer-row">
        <button type="button" class="btn-icon" aria-label="Attach files" onClick={() => picker.click()}>
          <ClipIcon />
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          onChange={(e) => {
            if (e.currentTarget.files) add(e.currentTarget.files);
            e.currentTarget.value = "";
          }}
        />
        <textarea
          ref={area}
          class="composer-input"
          rows="1"
          placeholder={`Message ${props.agent.name}`}
          aria-label={`Message to ${props.agent.name}`}
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" class="btn-icon btn-send" aria-label="Send" disabled={!ready()}>
          <SendIcon />
        </button>
      </div>
    </form>
  );
}
