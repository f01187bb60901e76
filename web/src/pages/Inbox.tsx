// The inbox: reviews across all agents, newest first; filter by state, agent and text; answer in place,
// then move on to the next pending one. The data is inbox/inbox-reviews.ts; this lays out the two panes.
import { createEffect, createSignal, Show } from "solid-js";
import { plainText } from "../lib/markdown";
import { refreshPendingCount } from "../lib/state";
import type { Message } from "../lib/types";
import { InboxFilters } from "./inbox/InboxFilters";
import { createInboxReviews } from "./inbox/inbox-reviews";
import { inboxUrl as url } from "./inbox/inbox-url";
import { ReviewDetail } from "./inbox/ReviewDetail";
import { ReviewList } from "./inbox/ReviewList";

export default function Inbox() {
  const reviews = createInboxReviews(url);
  const [announce, setAnnounce] = createSignal("");
  let detailHeading: HTMLHeadingElement | undefined;

  // On wide screens, open the first review when nothing is selected.
  createEffect(() => {
    if (!reviews.loading() && !url.selectedId() && reviews.items.length && window.matchMedia("(min-width: 900px)").matches)
      url.select(reviews.items[0]!.id, true);
  });

  /** After an answer: keep the answered one visible briefly, then go to the next pending review. */
  const answered = (m: Message) => {
    reviews.replace(m);
    refreshPendingCount(0);
    if (m.review?.status !== "completed" || url.filter() !== "pending") return;
    const next = reviews.nextPending(m.id);
    setAnnounce(next ? `Answered. Next: ${next.text ? plainText(next.text, 80) : "review"}` : "Answered. No more pending reviews.");
    setTimeout(() => {
      reviews.remove(m.id);
      if (url.selectedId() === m.id) url.select(next?.id, true);
      queueMicrotask(() => detailHeading?.focus());
    }, 700);
  };

  return (
    <div class="inbox" classList={{ "has-selection": !!reviews.selected() }}>
      <section class="inbox-list-pane" aria-labelledby="inbox-title">
        <header class="pane-head">
          <h1 id="inbox-title">Inbox</h1>
          <InboxFilters url={url} />
        </header>
        <Show when={reviews.error()}>
          <p class="form-error" role="alert">
            {reviews.error()}
          </p>
        </Show>
        <Show when={!reviews.loading() && reviews.items.length === 0 && !reviews.error()}>
          <div class="empty">
            <p>
              {url.view() === "waiting-on-others" ? "Nothing waits on others." : url.filter() === "pending" ? "Nothing waits for you." : "No reviews here."}
            </p>
            <p class="muted small">
              {url.filter() === "pending" && url.view() !== "waiting-on-others"
                ? "When an agent asks for a decision, it shows up here."
                : "Try another filter or search."}
            </p>
          </div>
        </Show>
        <ReviewList
          items={reviews.items}
          loading={reviews.loading()}
          hasMore={reviews.hasMore()}
          selectedId={url.selectedId()}
          href={url.href}
          onSelect={(id) => url.select(id)}
          onLoadMore={reviews.loadMore}
        />
      </section>
      <section class="inbox-detail-pane" aria-label="Review">
        <p class="sr-only" role="status" aria-live="polite">
          {announce()}
        </p>
        <Show
          when={reviews.selected()}
          fallback={
            <div class="empty detail-empty">
              <p class="muted">Select a review to answer it.</p>
              <p class="muted small">Keys: j / k to move between reviews, Ctrl+Enter to send.</p>
            </div>
          }
        >
          {(m) => <ReviewDetail message={m()} onAnswered={answered} onBack={() => url.select(undefined)} headingRef={(el) => (detailHeading = el)} />}
        </Show>
      </section>
    </div>
  );
}
