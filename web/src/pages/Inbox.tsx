// The inbox: reviews across all agents, newest first; filter by state, agent and text; answer in place,
// then move on to the next pending one.
import { createEffect, createMemo, createSignal, For, lazy, on, onCleanup, Show, Suspense } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { Attachments } from "../components/Attachments";
import { Avatar } from "../components/Avatar";
import { BackIcon, SearchIcon } from "../components/Icons";
import { Markdown } from "../components/Markdown";
import { pluginOf, PluginView } from "../components/PluginView";
import { STATUS_TEXT } from "../components/MessageItem";
import { api, qs } from "../lib/api";
import { on as onLive } from "../lib/bus";
import { plainText } from "../lib/markdown";
import { query, setQuery } from "../lib/router";
import { agentById, agents, errorText, refreshPendingCount } from "../lib/state";
import { ago, now, shortTime, timeLeft } from "../lib/time";
import type { Message, Page, ReviewStatus } from "../lib/types";
import { REVIEW_TYPE_LABEL } from "../reviews/labels";

const ReviewCard = lazy(() => import("../reviews/ReviewCard"));

type Filter = ReviewStatus | "all";
const FILTERS: { id: Filter; label: string }[] = [
  { id: "pending", label: "Pending" },
  { id: "completed", label: "Answered" },
  { id: "expired", label: "Expired" },
  { id: "all", label: "All" },
];

export default function Inbox() {
  const filter = () => (query().get("status") as Filter | null) ?? "pending";
  const search = () => query().get("q") ?? "";
  const agentFilter = () => query().get("agent") ?? "";
  const selectedId = () => query().get("id") ?? undefined;

  const [items, setItems] = createStore<Message[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [error, setError] = createSignal("");
  const [announce, setAnnounce] = createSignal("");
  let listEl!: HTMLUListElement;
  let detailHeading: HTMLHeadingElement | undefined;

  let run = 0;
  const load = async (more = false) => {
    const mine = ++run;
    if (!more) setLoading(true);
    try {
      const page = await api.get<Page<Message>>(`/api/reviews${qs({ status: filter(), search: search(), channel: agentFilter(), limit: 50, cursor: more ? cursor() : undefined })}`);
      if (mine !== run) return;
      if (more) setItems(produce((list) => list.push(...page.data.filter((m) => !list.some((x) => x.id === m.id)))));
      else setItems(reconcile(page.data, { key: "id" }));
      setCursor(page.nextCursor);
      setError("");
    } catch (err) {
      if (mine === run) setError(errorText(err));
    } finally {
      if (mine === run) setLoading(false);
    }
  };
  createEffect(on([filter, search, agentFilter], () => void load()));

  const selected = createMemo(() => items.find((m) => m.id === selectedId()));
  const select = (id: string | undefined, replace = false) => setQuery({ id }, { replace });

  // On wide screens, open the first review when nothing is selected.
  createEffect(() => {
    if (!loading() && !selectedId() && items.length && window.matchMedia("(min-width: 900px)").matches) select(items[0]!.id, true);
  });

  const matches = (m: Message) => {
    if (!m.review) return false;
    if (filter() !== "all" && m.review.status !== filter()) return false;
    if (agentFilter() && m.channelId !== agentFilter()) return false;
    if (search() && !(m.text ?? "").toLowerCase().includes(search().toLowerCase())) return false;
    return true;
  };
  const replace = (m: Message) => {
    const i = items.findIndex((x) => x.id === m.id);
    if (i !== -1) setItems(i, m);
  };

  /** After an answer: keep the answered one visible briefly, then go to the next pending review. */
  const answered = (m: Message) => {
    replace(m);
    refreshPendingCount(0);
    if (m.review?.status !== "completed" || filter() !== "pending") return;
    const i = items.findIndex((x) => x.id === m.id);
    const next = items.slice(i + 1).find((x) => x.review?.status === "pending") ?? items.slice(0, i).reverse().find((x) => x.review?.status === "pending");
    setAnnounce(next ? `Answered. Next: ${next.text ? plainText(next.text, 80) : "review"}` : "Answered. No more pending reviews.");
    setTimeout(() => {
      setItems((list) => list.filter((x) => x.id !== m.id));
      if (selectedId() === m.id) select(next?.id, true);
      queueMicrotask(() => detailHeading?.focus());
    }, 700);
  };

  const offs = [
    onLive("message:created", (m) => {
      if (m.review && matches(m) && !items.some((x) => x.id === m.id)) setItems(produce((list) => list.unshift(m)));
    }),
    onLive("review:responded", (m) => {
      replace(m);
      if (filter() === "pending" && selectedId() !== m.id) setItems((list) => list.filter((x) => x.id !== m.id));
    }),
    onLive("review:expired", (d) => {
      const i = items.findIndex((x) => x.id === d.messageId);
      if (i !== -1) setItems(i, "review", produce((r) => r && (r.status = "expired")));
    }),
    onLive("message:delivery", (d) => {
      const i = items.findIndex((x) => x.id === d.messageId);
      if (i !== -1) setItems(i, "deliveryStatus", d.deliveryStatus);
    }),
    onLive("message:deleted", (d) => setItems((list) => list.filter((x) => x.id !== d.messageId))),
    onLive("resync", () => void load()),
  ];
  onCleanup(() => offs.forEach((off) => off()));

  // j / k (and the arrow keys in the list) move between reviews.
  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t.closest("input, textarea, select, [contenteditable]") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key !== "j" && e.key !== "k") return;
    e.preventDefault();
    move(e.key === "j" ? 1 : -1);
  };
  const move = (delta: number) => {
    const i = items.findIndex((x) => x.id === selectedId());
    const next = items[Math.max(0, Math.min(items.length - 1, i + delta))];
    if (next) {
      select(next.id);
      queueMicrotask(() => listEl.querySelector<HTMLElement>(`[data-id="${next.id}"]`)?.focus());
    }
  };
  document.addEventListener("keydown", onKey);
  onCleanup(() => document.removeEventListener("keydown", onKey));

  let searchTimer: ReturnType<typeof setTimeout> | undefined;

  return (
    <div class="inbox" classList={{ "has-selection": !!selected() }}>
      <section class="inbox-list-pane" aria-labelledby="inbox-title">
        <header class="pane-head">
          <h1 id="inbox-title">Inbox</h1>
          <div class="segmented" role="group" aria-label="Show">
            <For each={FILTERS}>
              {(f) => (
                <button type="button" class="seg" aria-pressed={filter() === f.id} onClick={() => setQuery({ status: f.id === "pending" ? undefined : f.id, id: undefined })}>
                  {f.label}
                </button>
              )}
            </For>
          </div>
          <div class="filters">
            <label class="search">
              <SearchIcon />
              <span class="sr-only">Search reviews</span>
              <input
                type="search"
                class="input"
                placeholder="Search"
                value={search()}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  clearTimeout(searchTimer);
                  searchTimer = setTimeout(() => setQuery({ q: v || undefined, id: undefined }), 250);
                }}
              />
            </label>
            <label class="sr-only" for="agent-filter">
              Agent
            </label>
            <select id="agent-filter" class="input agent-filter" value={agentFilter()} onChange={(e) => setQuery({ agent: e.currentTarget.value || undefined, id: undefined })}>
              <option value="">All agents</option>
              <For each={agents}>
                {(a) => (
                  <option value={a.id} selected={agentFilter() === a.id}>
                    {a.name}
                    {(a.unreadCount ?? 0) > 0 ? ` (${a.unreadCount} unread)` : ""}
                  </option>
                )}
              </For>
            </select>
          </div>
        </header>
        <Show when={error()}>
          <p class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <Show when={!loading() && items.length === 0 && !error()}>
          <div class="empty">
            <p>{filter() === "pending" ? "Nothing waits for you." : "No reviews here."}</p>
            <p class="muted small">{filter() === "pending" ? "When an agent asks for a decision, it shows up here." : "Try another filter or search."}</p>
          </div>
        </Show>
        <ul class="inbox-list" ref={listEl} aria-label="Reviews" aria-busy={loading()}>
          <For each={items}>
            {(m) => {
              const a = () => agentById(m.channelId);
              const left = () => (m.review?.status === "pending" ? timeLeft(m.review.expiresAt, now()) : null);
              return (
                <li>
                  <a
                    href={`/?${new URLSearchParams({ ...Object.fromEntries(query()), id: m.id }).toString()}`}
                    class="inbox-item"
                    aria-current={selectedId() === m.id ? "true" : undefined}
                    data-id={m.id}
                    onKeyDown={(e) => {
                      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                        e.preventDefault();
                        move(e.key === "ArrowDown" ? 1 : -1);
                      }
                    }}
                  >
                    <Avatar name={a()?.name ?? "?"} id={m.channelId} url={a()?.avatarUrl} size="sm" />
                    <span class="inbox-item-main">
                      <span class="inbox-item-top">
                        <span class="inbox-agent">{a()?.name ?? "Agent"}</span>
                        <span class="inbox-time">{shortTime(m.createdAt, now())}</span>
                      </span>
                      <span class="inbox-text">{m.text ? plainText(m.text) : `${REVIEW_TYPE_LABEL[m.review!.type]} review`}</span>
                      <span class="inbox-tags">
                        <span class="tag">{REVIEW_TYPE_LABEL[m.review!.type]}</span>
                        <Show when={m.status}>
                          <span class={`status-tag status-tag-${m.status}`}>{STATUS_TEXT[m.status!]}</span>
                        </Show>
                        <Show when={m.review!.status === "pending" && left()}>
                          <span class="tag" classList={{ urgent: left()!.urgent }}>
                            {left()!.text}
                          </span>
                        </Show>
                        <Show when={m.review!.status === "completed"}>
                          <span class="tag tag-ok">Answered {ago(m.review!.completedAt, now())}</span>
                        </Show>
                        <Show when={m.review!.status === "expired"}>
                          <span class="tag tag-muted">Expired</span>
                        </Show>
                      </span>
                    </span>
                  </a>
                </li>
              );
            }}
          </For>
        </ul>
        <Show when={cursor()}>
          <button type="button" class="btn btn-block" onClick={() => void load(true)}>
            Load more
          </button>
        </Show>
      </section>
      <section class="inbox-detail-pane" aria-label="Review">
        <p class="sr-only" role="status" aria-live="polite">
          {announce()}
        </p>
        <Show when={selected()} fallback={<div class="empty detail-empty"><p class="muted">Select a review to answer it.</p><p class="muted small">Keys: j / k to move between reviews, Ctrl+Enter to send.</p></div>}>
          {(m) => {
            const a = () => agentById(m().channelId);
            return (
              <article class="detail">
                <button type="button" class="btn btn-ghost btn-sm back-btn" onClick={() => select(undefined)}>
                  <BackIcon /> Reviews
                </button>
                <header class="detail-head">
                  <Avatar name={a()?.name ?? "?"} id={m().channelId} url={a()?.avatarUrl} />
                  <div>
                    <h2 class="detail-title" tabindex="-1" ref={(el) => (detailHeading = el)}>
                      {a()?.name ?? "Agent"}
                    </h2>
                    <p class="muted small">
                      asked {ago(m().createdAt, now())} ·{" "}
                      <a href={`/chat/${m().channelId}?m=${m().id}`}>Open in chat</a>
                    </p>
                  </div>
                </header>
                <div class={`detail-body ${m().status ? `msg-status-${m().status}` : ""}`}>
                  <Show when={m().status}>
                    <span class={`status-tag status-tag-${m().status}`}>{STATUS_TEXT[m().status!]}</span>
                  </Show>
                  <Show when={m().text}>
                    <Markdown text={m().text!} class="msg-text" />
                  </Show>
                  <Show when={pluginOf(m())}>
                    <PluginView message={m()} onUpdate={answered} />
                  </Show>
                  <Attachments message={m()} />
                </div>
                <Suspense fallback={<div class="review-card review-loading" aria-busy="true" />}>
                  <Show when={m().id} keyed>
                    <ReviewCard message={m()} onAnswered={answered} autofocus={false} />
                  </Show>
                </Suspense>
              </article>
            );
          }}
        </Show>
      </section>
    </div>
  );
}
