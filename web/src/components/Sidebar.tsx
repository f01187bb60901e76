// The sidebar: the sections, every agent (avatar, status dot, last activity, unread), the person.
// Agents with a tag are grouped by it (collapsible; the untagged in a group of their own), or listed
// flat; the choice and the collapsed groups are remembered in localStorage.
import { createMemo, createSignal, For, Show } from "solid-js";
import { liveStateSignal } from "../lib/live-state";
import { location$ } from "../lib/router";
import { agents, agentsLoaded, me, pendingCount } from "../lib/state";
import { ago, now } from "../lib/time";
import { Avatar } from "./Avatar";
import { ChevronIcon, FilesIcon, GearIcon, InboxIcon, LogoMark, PulseIcon } from "./Icons";
import { StatusDot } from "./StatusDot";
import type { Agent } from "../lib/types";

const GROUPED_KEY = "nod.sidebar.grouped";
const COLLAPSED_KEY = "nod.sidebar.collapsed";
/** The untagged agents' group: a key no tag can be (tags are trimmed, so never start with a space). */
const UNTAGGED = " untagged";

function readStored<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function store(key: string, value: unknown) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode: remembered for this page only */
  }
}

const [grouped, setGroupedSignal] = createSignal<boolean>(readStored(GROUPED_KEY, true));
const [collapsed, setCollapsedSignal] = createSignal<string[]>(readStored(COLLAPSED_KEY, []));

function setGrouped(on: boolean) {
  setGroupedSignal(on);
  store(GROUPED_KEY, on);
}

function toggleGroup(key: string) {
  const now = collapsed().includes(key) ? collapsed().filter((k) => k !== key) : [...collapsed(), key];
  setCollapsedSignal(now);
  store(COLLAPSED_KEY, now);
}

/** The agents by group key (a tag, or UNTAGGED), each group in the order it is given. */
function groupByTag(list: Agent[]): Map<string, Agent[]> {
  const byTag = new Map<string, Agent[]>();
  for (const a of list) {
    const key = a.tag ?? UNTAGGED;
    byTag.set(key, [...(byTag.get(key) ?? []), a]);
  }
  return byTag;
}

/** Group keys alphabetically, the untagged last. */
function groupOrder(keys: string[]): string[] {
  const tags = keys.filter((k) => k !== UNTAGGED).sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
  return keys.includes(UNTAGGED) ? [...tags, UNTAGGED] : tags;
}

export function Sidebar(props: { onSignOut: () => void }) {
  const path = () => location$().path;
  const sorted = createMemo(() => [...agents].sort((a, b) => (b.lastActiveAt ?? b.createdAt).localeCompare(a.lastActiveAt ?? a.createdAt)));
  const current = (href: string) => ((href === "/" ? path() === "/" : path() === href || path().startsWith(`${href}/`)) ? "page" : undefined);
  const hasTags = createMemo(() => agents.some((a) => a.tag));
  const groups = createMemo(() => groupByTag(sorted()));
  // Keys, not group objects, so a group's section (and the focus on its button) survives a live update.
  const groupKeys = createMemo(() => groupOrder([...groups().keys()]), undefined, { equals: (a, b) => a.join("\n") === b.join("\n") });
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
          <a href="/files" class="nav-link" aria-current={current("/files")}>
            <FilesIcon />
            <span>Files</span>
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
      <div class="sidebar-heading-row">
        <h2 class="sidebar-heading" id="agents-heading">
          Agents
        </h2>
        <Show when={hasTags()}>
          <button
            type="button"
            class="btn btn-ghost btn-sm sidebar-view-toggle"
            aria-pressed={grouped()}
            title={grouped() ? "Show the agents as one list" : "Group the agents by tag"}
            onClick={() => setGrouped(!grouped())}
          >
            Group by tag
          </button>
        </Show>
      </div>
      <Show when={agentsLoaded() && agents.length === 0}>
        <p class="sidebar-empty">
          No agents yet. <a href="/settings/agents">Create one</a> and give it an API key.
        </p>
      </Show>
      <Show
        when={grouped() && hasTags()}
        fallback={
          <ul class="agent-list" aria-labelledby="agents-heading">
            <For each={sorted()}>{(a) => <AgentItem agent={a} current={current} />}</For>
          </ul>
        }
      >
        <div class="agent-list agent-groups">
          <For each={groupKeys()}>
            {(key) => {
              const members = () => groups().get(key) ?? [];
              const label = key === UNTAGGED ? "Untagged" : key;
              const open = () => !collapsed().includes(key);
              const unread = () => members().reduce((n, a) => n + (a.unreadCount ?? 0), 0);
              const listId = `agent-group-${encodeURIComponent(key.trim() || "untagged")}`;
              return (
                <section class="agent-group" data-group={key === UNTAGGED ? "" : key}>
                  <button type="button" class="agent-group-head" aria-expanded={open()} aria-controls={listId} onClick={() => toggleGroup(key)}>
                    <ChevronIcon />
                    <span class="agent-group-name">{label}</span>
                    <span class="agent-group-count">
                      {members().length}
                      <span class="sr-only"> agents</span>
                    </span>
                    <Show when={!open() && unread() > 0}>
                      <span class="badge unread">
                        {unread()}
                        <span class="sr-only"> unread</span>
                      </span>
                    </Show>
                  </button>
                  <Show when={open()}>
                    <ul class="agent-group-list" id={listId} aria-label={label}>
                      <For each={members()}>{(a) => <AgentItem agent={a} current={current} />}</For>
                    </ul>
                  </Show>
                </section>
              );
            }}
          </For>
        </div>
      </Show>
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

function AgentItem(props: { agent: Agent; current: (href: string) => "page" | undefined }) {
  const a = () => props.agent;
  return (
    <li>
      <a href={`/chat/${a().id}`} class="agent-link" aria-current={props.current(`/chat/${a().id}`)} data-agent={a().id}>
        <span class="avatar-wrap">
          <Avatar name={a().name} id={a().id} url={a().avatarUrl} />
          <StatusDot status={a().status} />
        </span>
        <span class="agent-text">
          <span class="agent-name">{a().name}</span>
          <span class="agent-sub">{a().statusMessage || (a().lastActiveAt ? `active ${ago(a().lastActiveAt!, now())}` : "no activity yet")}</span>
        </span>
        <Show when={(a().unreadCount ?? 0) > 0}>
          <span class="badge unread">
            {a().unreadCount}
            <span class="sr-only"> unread</span>
          </span>
        </Show>
      </a>
    </li>
  );
}
