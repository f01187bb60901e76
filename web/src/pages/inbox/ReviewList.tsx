// The inbox list: the reviews, "Load more", and moving through them from the keyboard (j / k anywhere,
// the arrow keys on an item).
import { For, onCleanup, Show } from "solid-js";
import type { Message } from "../../lib/types";
import { ReviewListItem } from "./ReviewListItem";

export function ReviewList(props: {
  items: Message[];
  loading: boolean;
  hasMore: boolean;
  selectedId: string | undefined;
  href: (id: string) => string;
  onSelect: (id: string) => void;
  onLoadMore: () => void;
}) {
  let listEl!: HTMLUListElement;

  const move = (delta: 1 | -1) => {
    const i = props.items.findIndex((x) => x.id === props.selectedId);
    const next = props.items[Math.max(0, Math.min(props.items.length - 1, i + delta))];
    if (next) {
      props.onSelect(next.id);
      queueMicrotask(() => listEl.querySelector<HTMLElement>(`[data-id="${next.id}"]`)?.focus());
    }
  };
  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t.closest("input, textarea, select, [contenteditable]") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key !== "j" && e.key !== "k") return;
    e.preventDefault();
    move(e.key === "j" ? 1 : -1);
  };
  document.addEventListener("keydown", onKey);
  onCleanup(() => document.removeEventListener("keydown", onKey));

  return (
    <>
      <ul class="inbox-list" ref={listEl} aria-label="Reviews" aria-busy={props.loading}>
        <For each={props.items}>{(m) => <ReviewListItem message={m} href={props.href(m.id)} current={props.selectedId === m.id} onMove={move} />}</For>
      </ul>
      <Show when={props.hasMore}>
        <button type="button" class="btn btn-block" onClick={() => props.onLoadMore()}>
          Load more
        </button>
      </Show>
    </>
  );
}
