// The inbox's filters: whose turn (a team's views, radios), state (segmented), text search and agent;
// each one is a URL parameter.
import { For } from "solid-js";
import { SearchIcon } from "../../components/Icons";
import { agents } from "../../lib/state";
import type { Filter, InboxUrl, View } from "./inbox-url";

/** Every view of the contract has its radio (a record over View): a new one does not compile until labelled. */
const VIEW_LABEL = {
  "": "Everything",
  "assigned-to-me": "Assigned to me",
  "waiting-on-others": "Waiting on others",
  "answered-by-me": "Answered by me",
} as const satisfies Record<View, string>;
const VIEWS = (Object.keys(VIEW_LABEL) as View[]).map((id) => ({ id, label: VIEW_LABEL[id] }));

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
      <fieldset class="segmented segmented-radio" aria-label="Whose turn">
        <For each={VIEWS}>
          {(v) => (
            <label class="seg">
              <input type="radio" class="sr-only" name="inbox-view" value={v.id} checked={url.view() === v.id} onChange={() => url.setView(v.id)} />
              {v.label}
            </label>
          )}
        </For>
      </fieldset>
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
