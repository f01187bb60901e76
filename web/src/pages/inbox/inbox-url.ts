// The inbox's state lives in the URL (?status, ?view, ?q, ?agent, ?id), so a view can be linked, reloaded
// and stepped back through.
import { INBOX_VIEWS, type InboxView } from "../../../../contract/enums";
import { query, setQuery } from "../../lib/router";
import type { ReviewStatus } from "../../lib/types";

export type Filter = ReviewStatus | "all";
/** A team's view of the inbox, or "" for every review I can see. */
export type View = InboxView | "";

export const inboxUrl = {
  filter: () => (query().get("status") as Filter | null) ?? "pending",
  view: (): View => {
    const v = query().get("view");
    return (INBOX_VIEWS as readonly string[]).includes(v ?? "") ? (v as InboxView) : "";
  },
  search: () => query().get("q") ?? "",
  agent: () => query().get("agent") ?? "",
  selectedId: () => query().get("id") ?? undefined,
  /** Opens a review (or none); `replace` when it is the app's step (auto-select, moving on), not the person's. */
  select: (id: string | undefined, replace = false) => setQuery({ id }, { replace }),
  /** A review's link in the list: this view with that review open. */
  href: (id: string) => `/?${new URLSearchParams({ ...Object.fromEntries(query()), id }).toString()}`,
  // A new filter closes the open review: it may not be in the new list.
  setFilter: (status: Filter) => setQuery({ status: status === "pending" ? undefined : status, id: undefined }),
  /**
   * A team view brings the state it is about: "Assigned to me" and "Waiting on others" are pending
   * reviews, "Answered by me" is mostly settled ones (all states); the state can still be changed after.
   */
  setView: (view: View) =>
    setQuery({
      view: view || undefined,
      id: undefined,
      ...(view === "answered-by-me" ? { status: "all" } : view ? { status: undefined } : {}),
    }),
  setSearch: (q: string) => setQuery({ q: q || undefined, id: undefined }),
  setAgent: (agent: string) => setQuery({ agent: agent || undefined, id: undefined }),
};

export type InboxUrl = typeof inboxUrl;
