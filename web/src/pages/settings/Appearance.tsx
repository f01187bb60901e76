// Theme (light, dark, system) and the Inline HTML switch.
import { For } from "solid-js";
import { errorText, prefs, savePrefs, toast } from "../../lib/state";
import type { Preferences } from "../../lib/types";

const THEMES: { id: Preferences["theme"]; label: string }[] = [
  { id: "light", label: "Light" },
  { id: "dark", label: "Dark" },
  { id: "system", label: "System" },
];

export function Appearance() {
  const save = (change: Partial<Preferences>) => savePrefs(change).catch((err) => toast(errorText(err), "error"));
  return (
    <>
      <section class="card" aria-labelledby="theme-title">
        <h2 id="theme-title">Appearance</h2>
        <fieldset class="plain">
          <legend class="field-label">Theme</legend>
          <div class="theme-options">
            <For each={THEMES}>
              {(t) => (
                <label class="theme-option" classList={{ selected: prefs().theme === t.id }}>
                  <input type="radio" name="theme" value={t.id} checked={prefs().theme === t.id} onChange={() => save({ theme: t.id })} />
                  <span class={`theme-swatch swatch-${t.id}`} aria-hidden="true" />
                  <span>{t.label}</span>
                </label>
              )}
            </For>
          </div>
        </fieldset>
      </section>
      <section class="card" aria-labelledby="html-title">
        <h2 id="html-title">Inline HTML</h2>
        <label class="switch-row">
          {/* biome-ignore lint/a11y/useAriaPropsForRole: a checkbox input exposes its own checked state to the switch role (HTML-AAM); ARIA in HTML says not to add aria-checked */}
          <input type="checkbox" role="switch" name="inlineHtml" checked={prefs().inlineHtml} onChange={(e) => save({ inlineHtml: e.currentTarget.checked })} />
          <span>
            <span class="choice-label">Render a message's single HTML attachment inline</span>
            <span class="field-hint">
              The page runs in a sandboxed frame (scripts only, no access to Nod, its cookies or the network). Leave this off unless you trust your agents'
              HTML.
            </span>
          </span>
        </label>
      </section>
    </>
  );
}
