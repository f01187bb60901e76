// The slash-command palette above the composer: the agent's commands matching what is typed. It is the
// listbox of the composer's combobox: focus stays in the text box (aria-activedescendant names the active row).
import { For } from "solid-js";
import type { AgentCommand } from "../lib/types";

export const optionId = (listId: string, command: string) => `${listId}-${command}`;

export function CommandPalette(props: {
  id: string;
  commands: AgentCommand[];
  active: number;
  onPick: (c: AgentCommand) => void;
  onHover: (i: number) => void;
}) {
  return (
    <div class="command-palette" id={props.id} role="listbox" aria-label="Commands">
      <For each={props.commands}>
        {(c, i) => (
          // Keyboard use goes through the text box (↑ ↓ Tab Enter Esc); the mouse picks here.
          // biome-ignore lint/a11y/useKeyWithClickEvents: an option of a combobox's listbox, driven from the input
          <div
            id={optionId(props.id, c.command)}
            role="option"
            tabIndex={-1}
            class="command-option"
            classList={{ active: i() === props.active }}
            aria-selected={i() === props.active}
            // Keeps the focus (and the caret) in the text box.
            onMouseDown={(e) => e.preventDefault()}
            onMouseMove={() => props.onHover(i())}
            onClick={() => props.onPick(c)}
          >
            <span class="command-name">/{c.command}</span>
            {c.argHint ? <span class="command-hint">{c.argHint}</span> : null}
            <span class="command-desc">{c.description}</span>
          </div>
        )}
      </For>
    </div>
  );
}
