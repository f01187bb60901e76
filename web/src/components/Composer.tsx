// Writing to an agent: text (Enter sends, Shift+Enter for a new line) and attachments; a leading "/" opens
// the palette of the agent's slash commands (CommandPalette), and a line running one is sent as that command.
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { api, storeFile } from "../lib/api";
import { errorText, toast } from "../lib/state";
import { bytes } from "../lib/time";
import { commandQuery, matchCommands, parseCommand } from "../lib/commands";
import type { Agent, AgentCommand, Message } from "../lib/types";
import { CommandPalette, optionId } from "./CommandPalette";
import { ClipIcon, SendIcon } from "./Icons";

interface Pending {
  key: number;
  name: string;
  size: number;
  id?: string;
  error?: string;
}

let seq = 0;
let composers = 0;

export function Composer(props: { agent: Agent; onSent: (m: Message) => void }) {
  const [text, setText] = createSignal("");
  const [files, setFiles] = createSignal<Pending[]>([]);
  const [busy, setBusy] = createSignal(false);
  let area!: HTMLTextAreaElement;
  let picker!: HTMLInputElement;

  // The command palette: open while a "/name" is typed (no space yet) and something matches, until Esc.
  const paletteId = `command-palette-${++composers}`;
  const [dismissed, setDismissed] = createSignal(false);
  const [active, setActive] = createSignal(0);
  const query = () => commandQuery(text());
  const matches = () => {
    const q = query();
    return q === null ? [] : matchCommands(props.agent.commands ?? [], q);
  };
  const paletteOpen = () => !dismissed() && matches().length > 0;
  // A new query starts at the best match; Esc holds until the line is no longer a command name.
  createEffect(
    on(query, (q) => {
      setActive(0);
      if (q === null) setDismissed(false);
    }),
  );

  const uploading = () => files().some((f) => !f.id && !f.error);
  const canSend = (line: string) => (line.trim().length > 0 || files().some((f) => f.id)) && !uploading() && !busy();
  const ready = () => canSend(text());

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

  /** Runs the picked command: one with arguments waits for them (`/deploy `), one without is sent at once. */
  const pick = (c: AgentCommand) => {
    area.focus();
    if (c.acceptsArgs) setText(`/${c.command} `);
    else void send(`/${c.command}`);
  };

  const send = async (line = text()) => {
    if (!canSend(line)) return;
    setBusy(true);
    // What the box held when this send began: cleared on success only if unchanged (a line typed meanwhile stays).
    const held = text();
    const attachmentIds = files().flatMap((f) => (f.id ? [f.id] : []));
    // A line running one of the agent's commands goes as that command: the server writes its text and metadata.
    const command = parseCommand(props.agent.commands ?? [], line);
    try {
      const m = await api.post<Message>("/api/messages", {
        channelId: props.agent.id,
        ...(command ? { command } : line.trim() ? { text: line } : {}),
        ...(attachmentIds.length ? { attachmentIds } : {}),
        clientId: crypto.randomUUID(),
      });
      if (text() === held) setText("");
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
        <Show when={paletteOpen()}>
          <CommandPalette id={paletteId} commands={matches()} active={active()} onPick={pick} onHover={setActive} />
        </Show>
        <textarea
          ref={area}
          class="composer-input"
          rows="1"
          placeholder={`Message ${props.agent.name}`}
          aria-label={`Message to ${props.agent.name}`}
          role="combobox"
          aria-autocomplete="list"
          aria-haspopup="listbox"
          aria-expanded={paletteOpen()}
          aria-controls={paletteOpen() ? paletteId : undefined}
          aria-activedescendant={paletteOpen() && matches()[active()] ? optionId(paletteId, matches()[active()]!.command) : undefined}
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (paletteOpen() && !e.isComposing) {
              const list = matches();
              const current = list[active()] ?? list[0]!;
              if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                e.preventDefault();
                setActive((i) => (i + (e.key === "ArrowDown" ? 1 : list.length - 1)) % list.length);
                return;
              }
              if (e.key === "Escape") {
                e.preventDefault();
                setDismissed(true);
                return;
              }
              if (e.key === "Tab" && !e.shiftKey) {
                e.preventDefault();
                setText(current.acceptsArgs ? `/${current.command} ` : `/${current.command}`);
                return;
              }
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                pick(current);
                return;
              }
            }
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
