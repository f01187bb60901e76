// The inbox's data: the reviews for the filters in the URL, page by page, kept live.
import { createEffect, createMemo, createResource, createSignal, on, onCleanup } from "solid-js";
import { api, qs } from "../../lib/api";
import { on as onLive } from "../../lib/bus";
import { createMessageList, followLive } from "../../lib/message-list";
import { errorText, me } from "../../lib/state";
import type { Message, Page } from "../../lib/types";
import { canAnswer, hasVoted, isAssignee } from "../../reviews/team";
import type { Filter, InboxUrl, View } from "./inbox-url";

const PAGE = 50;

/** The server's team views, repeated for live arrivals and votes: whose turn a review is. */
function inView(m: Message, view: View): boolean {
  const r = m.review!;
  const myId = me()?.id;
  switch (view) {
    case "":
      return true;
    // Pending ones by whose turn it is; settled ones (status "all", …) are the server's to pick, kept here.
    case "assigned-to-me":
      return r.status === "pending" ? canAnswer(r, myId) : isAssignee(r, myId);
    case "waiting-on-others":
      return r.status !== "pending" || !canAnswer(r, myId);
    case "answered-by-me":
      return (!!myId && r.respondedBy?.id === myId) || hasVoted(r, myId);
  }
}

interface Filters {
  status: Filter;
  view: View;
  search: string;
  channel: string;
}
interface Request extends Filters {
  cursor?: string;
}

const sameFilters = (a: Filters, b: Filters) => a.status === b.status && a.view === b.view && a.search === b.search && a.channel === b.channel;

/** One page of reviews, with the request it answers (a first page replaces the list, a later one extends it). */
const fetchPage = async (request: Request) => ({
  request,
  page: await api.get<Page<Message>>(`/api/reviews${qs({ ...request, limit: PAGE })}`),
});

export function createInboxReviews(url: InboxUrl) {
  /** A new object only when a filter changes (not when the selection does): a new first page. */
  const filters = createMemo<Filters, undefined>(() => ({ status: url.filter(), view: url.view(), search: url.search(), channel: url.agent() }), undefined, {
    equals: sameFilters,
  });
  const selectedId = createMemo(url.selectedId);

  /** Whether a review belongs under the filters: the server's filter, repeated for live arrivals. */
  const matches = (m: Message) => {
    const f = filters();
    if (!m.review) return false;
    if (f.status !== "all" && m.review.status !== f.status) return false;
    if (f.channel && m.channelId !== f.channel) return false;
    if (f.search && !(m.text ?? "").toLowerCase().includes(f.search.toLowerCase())) return false;
    return inView(m, f.view);
  };
  const list = createMessageList({ order: "newest-first", accepts: matches });

  // "Load more" belongs to the filters it was asked under: new filters start again at page one.
  const [more, setMore] = createSignal<{ filters: Filters; cursor: string }>();
  const request = createMemo<Request>(() => {
    const f = filters();
    const m = more();
    return m?.filters === f ? { ...f, cursor: m.cursor } : f;
  });
  // The resource answers only its latest request: a slower earlier one (other filters) never lands.
  const [page, { refetch }] = createResource(request, fetchPage);
  const [cursor, setCursor] = createSignal<string | null>(null);
  // Read in an effect (which does not suspend the page) and only when ready (an errored read throws).
  createEffect(
    on(
      () => (page.state === "ready" ? page() : undefined),
      (got) => {
        if (!got) return;
        if (got.request.cursor) list.addOlder(got.page.data);
        else list.reset(got.page.data);
        setCursor(got.page.nextCursor);
      },
    ),
  );
  const loadMore = () => {
    const c = cursor();
    if (c) setMore({ filters: filters(), cursor: c });
  };
  /** Page one again (after a reconnect: answers and expiries the replay does not bring). */
  const reload = () => (request().cursor ? setMore(undefined) : void refetch());

  // Live: a review answered elsewhere leaves the pending list, unless it is the one open.
  followLive(list, ["review:responded"]);
  const offs = [
    onLive("review:responded", (m) => {
      list.apply("review:responded", m);
      if (filters().status === "pending" && selectedId() !== m.id) list.remove(m.id);
    }),
    onLive("resync", reload),
  ];
  onCleanup(() => {
    for (const off of offs) off();
  });

  // Reviews that stopped matching (answered elsewhere while open, expired) leave once the selection
  // moves on; the one now open stays. New filters bring a new first page instead.
  createEffect(on([selectedId, filters], ([id, f], before) => before?.[1] === f && list.prune((m) => matches(m) || m.id === id), { defer: true }));

  /** The pending review to go to after answering `id`: the next one below it, else the nearest above. */
  const nextPending = (id: string) => {
    const items = list.items;
    const i = items.findIndex((x) => x.id === id);
    const pending = (x: Message) => x.review?.status === "pending";
    return items.slice(i + 1).find(pending) ?? items.slice(0, i).reverse().find(pending);
  };

  return {
    items: list.items,
    selected: createMemo(() => list.items.find((m) => m.id === selectedId())),
    /** Loading a first page (not "Load more"). */
    loading: () => page.loading && !request().cursor,
    error: () => (page.error ? errorText(page.error) : ""),
    hasMore: () => !!cursor(),
    loadMore,
    replace: list.replace,
    remove: list.remove,
    nextPending,
  };
}
