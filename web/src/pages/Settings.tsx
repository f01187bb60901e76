// Settings: account, API keys, agents, appearance, notifications and (for owners) users.
import { For, Match, Show, Switch } from "solid-js";
import { me } from "../lib/state";
import { Account } from "./settings/Account";
import { AgentsSettings } from "./settings/Agents";
import { ApiKeys } from "./settings/ApiKeys";
import { Appearance } from "./settings/Appearance";
import { Notifications } from "./settings/Notifications";
import { Users } from "./settings/Users";

const SECTIONS = [
  { id: "account", label: "Account" },
  { id: "api-keys", label: "API keys" },
  { id: "agents", label: "Agents" },
  { id: "appearance", label: "Appearance" },
  { id: "notifications", label: "Notifications" },
  { id: "users", label: "Users", owner: true },
] as const;

export default function Settings(props: { params: Record<string, string> }) {
  const section = () => props.params.section ?? "account";
  const visible = () => SECTIONS.filter((s) => !("owner" in s) || me()?.role === "owner");
  return (
    <div class="page settings">
      <header class="page-head">
        <h1>Settings</h1>
      </header>
      <div class="settings-layout">
        <nav class="settings-nav" aria-label="Settings sections">
          <ul>
            <For each={visible()}>
              {(s) => (
                <li>
                  <a href={s.id === "account" ? "/settings" : `/settings/${s.id}`} aria-current={section() === s.id ? "page" : undefined}>
                    {s.label}
                  </a>
                </li>
              )}
            </For>
          </ul>
        </nav>
        <div class="settings-body">
          <Switch fallback={<p>Unknown section.</p>}>
            <Match when={section() === "account"}>
              <Account />
            </Match>
            <Match when={section() === "api-keys"}>
              <ApiKeys />
            </Match>
            <Match when={section() === "agents"}>
              <AgentsSettings />
            </Match>
            <Match when={section() === "appearance"}>
              <Appearance />
            </Match>
            <Match when={section() === "notifications"}>
              <Notifications />
            </Match>
            <Match when={section() === "users"}>
              <Show when={me()?.role === "owner"} fallback={<p>Only the owner manages users.</p>}>
                <Users />
              </Show>
            </Match>
          </Switch>
        </div>
      </div>
    </div>
  );
}
