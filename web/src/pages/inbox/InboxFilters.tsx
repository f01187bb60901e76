// The inbox's filters: state (segmented), text search and agent; each one is a URL parameter.
import { For } from "solid-js";
import { SearchIcon } from "../../components/Icons";
import { agents } from "../../lib/state";
import type { Filter, InboxUrl } from "./inbox-url";

const FILTERS: { id: Filter; label: string }[] = [
  { id: "pending", label: "Pending" },
  { id: "completed", label: "Answered" },
  { id: "expired", label: "Expired" },
  { id: "all", label: "All" },
];

export function InboxFilters(props: { url: InboxUrl }) {
  const url = props.url;
  // Typing settles for a moment before it becomes a new search (and a request).
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  return (
    <>
      <fieldset class="segmented" aria-label="Show">
        <For each={FILTERS}>
          {(f) => (
            <button type="button" class="seg" aria-pressed={url.filter() === f.id} onClick={() => url.setFilter(f.id)}>
              {f.label}
            </button>
          )}
        </For>
      </fieldset>
      <div class="filters">
        <label class="search">
          <SearchIcon />
          <span class="sr-only">Search reviews</span>
          <input
            type="search"
            class="input"
            placeholder="Search"
            value={url.search()}
            onInput={(e) => {
              const v = e.currentTarget.value;
              clearTimeout(searchTimer);
              searchTimer = setTimeout(() => url.setSearch(v), 250);
            }}
          />
        </label>
        <label class="sr-only" for="agent-filter">
          Agent
        </label>
        <select id="agent-filter" class="input agent-filter" value={url.agent()} onChange={(e) => url.setAgent(e.currentTarget.value)}>
          <option value="">All agents</option>
          <For each={agents}>
            {(a) => (
              <option value={a.id} selected={url.agent() === a.id}>
                {a.name}
                {(a.unreadCount ?? 0) > 0 ? ` (${a.unreadCount} unread)` : ""}
              </option>
            )}
          </For>
        </select>
      </div>
    </>
  );
}
