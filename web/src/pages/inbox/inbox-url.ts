// The inbox's state lives in the URL (?status, ?q, ?agent, ?id), so a view can be linked, reloaded and
// stepped back through.
import { query, setQuery } from "../../lib/router";
import type { ReviewStatus } from "../../lib/types";

export type Filter = ReviewStatus | "all";

export const inboxUrl = {
  filter: () => (query().get("status") as Filter | null) ?? "pending",
  search: () => query().get("q") ?? "",
  agent: () => query().get("agent") ?? "",
  selectedId: () => query().get("id") ?? undefined,
  /** Opens a review (or none); `replace` when it is the app's step (auto-select, moving on), not the person's. */
  select: (id: string | undefined, replace = false) => setQuery({ id }, { replace }),
  /** A review's link in the list: this view with that review open. */
  href: (id: string) => `/?${new URLSearchParams({ ...Object.fromEntries(query()), id }).toString()}`,
  // A new filter closes the open review: it may not be in the new list.
  setFilter: (status: Filter) => setQuery({ status: status === "pending" ? undefined : status, id: undefined }),
  setSearch: (q: string) => setQuery({ q: q || undefined, id: undefined }),
  setAgent: (agent: string) => setQuery({ agent: agent || undefined, id: undefined }),
};

export type InboxUrl = typeof inboxUrl;
