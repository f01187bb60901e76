// The sidebar: the sections, every agent (avatar, status dot, last activity, unread), the person.
import { createMemo, For, Show } from "solid-js";
import { liveStateSignal } from "../lib/live-state";
import { location$ } from "../lib/router";
import { agents, agentsLoaded, me, pendingCount } from "../lib/state";
import { ago, now } from "../lib/time";
import { Avatar } from "./Avatar";
import { GearIcon, InboxIcon, LogoMark, PulseIcon } from "./Icons";
import { StatusDot } from "./StatusDot";

export function Sidebar(props: { onSignOut: () => void }) {
  const path = () => location$().path;
  const sorted = createMemo(() => [...agents].sort((a, b) => (b.lastActiveAt ?? b.createdAt).localeCompare(a.lastActiveAt ?? a.createdAt)));
  const current = (href: string) => ((href === "/" ? path() === "/" : path() === href || path().startsWith(`${href}/`)) ? "page" : undefined);
  const live = liveStateSignal;
  return (
    <nav class="sidebar" aria-label="Main">
      <a href="/" class="brand">
        <LogoMark />
        <span>Nod</span>
      </a>
      <ul class="nav-list">
        <li>
          <a href="/" class="nav-link" aria-current={current("/")}>
            <InboxIcon />
            <span>Inbox</span>
            <Show when={pendingCount() > 0}>
              <span class="badge">
                <span aria-hidden="true">{pendingCount() >= 100 ? "99+" : pendingCount()}</span>
                <span class="sr-only">{pendingCount()} pending</span>
              </span>
            </Show>
          </a>
        </li>
        <li>
          <a href="/status" class="nav-link" aria-current={current("/status")}>
            <PulseIcon />
            <span>Status</span>
          </a>
        </li>
        <li>
          <a href="/settings" class="nav-link" aria-current={current("/settings")}>
            <GearIcon />
            <span>Settings</span>
          </a>
        </li>
      </ul>
      <h2 class="sidebar-heading" id="agents-heading">
        Agents
      </h2>
      <Show when={agentsLoaded() && agents.length === 0}>
        <p class="sidebar-empty">
          No agents yet. <a href="/settings/agents">Create one</a> and give it an API key.
        </p>
      </Show>
      <ul class="agent-list" aria-labelledby="agents-heading">
        <For each={sorted()}>
          {(a) => (
            <li>
              <a href={`/chat/${a.id}`} class="agent-link" aria-current={current(`/chat/${a.id}`)} data-agent={a.id}>
                <span class="avatar-wrap">
                  <Avatar name={a.name} id={a.id} url={a.avatarUrl} />
                  <StatusDot status={a.status} />
                </span>
                <span class="agent-text">
                  <span class="agent-name">{a.name}</span>
                  <span class="agent-sub">{a.statusMessage || (a.lastActiveAt ? `active ${ago(a.lastActiveAt, now())}` : "no activity yet")}</span>
                </span>
                <Show when={(a.unreadCount ?? 0) > 0}>
                  <span class="badge unread">
                    {a.unreadCount}
                    <span class="sr-only"> unread</span>
                  </span>
                </Show>
              </a>
            </li>
          )}
        </For>
      </ul>
      <div class="sidebar-foot">
        <span class={`live-dot live-${live()}`} role="img" aria-label={`Live updates: ${live()}`} title={`Live updates: ${live()}`} />
        <span class="me-name" title={me()?.email}>
          {me()?.displayName}
        </span>
        <button type="button" class="btn btn-ghost btn-sm" onClick={() => props.onSignOut()}>
          Sign out
        </button>
      </div>
    </nav>
  );
}
