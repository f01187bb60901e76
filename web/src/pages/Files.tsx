// The Files page: every file the person's agents and the person posted, across agents, newest first, as a
// grid of previews; filters by kind and agent and a name search (URL parameters, so a view can be linked);
// each file one click from its message; a selection downloads as one ZIP, built in the browser.
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { CopyLinkButton } from "../components/CopyLinkButton";
import { DownloadIcon, SearchIcon } from "../components/Icons";
import { TimeAgo } from "../components/TimeAgo";
import { api, downloadUrl, qs } from "../lib/api";
import { on as onLive } from "../lib/bus";
import { fileIcon, fileKind } from "../lib/files";
import { query, setQuery } from "../lib/router";
import { agents, errorText, toast } from "../lib/state";
import { bytes } from "../lib/time";
import type { GalleryFileDto as GalleryFile, PageDto } from "../../../contract/dto";
import { FILE_KINDS, type FileKind } from "../../../contract/enums";
import { zipName, zipSelection } from "./files/zip";

/** A label for every kind of contract/enums (a new kind fails the build until it has one). */
const KIND_LABELS: Record<FileKind, string> = {
  image: "Images",
  pdf: "PDFs",
  video: "Videos",
  audio: "Audio",
  text: "Text & code",
  other: "Other",
};
const KINDS: { id: FileKind | ""; label: string }[] = [{ id: "", label: "All" }, ...FILE_KINDS.map((id) => ({ id, label: KIND_LABELS[id] }))];

const PAGE = 60;

const filesUrl = {
  kind: () => (query().get("type") ?? "") as FileKind | "",
  agent: () => query().get("agent") ?? "",
  search: () => query().get("q") ?? "",
};

export default function Files() {
  const [items, setItems] = createStore<GalleryFile[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal("");
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  const [zipping, setZipping] = createSignal(false);
  // Only the latest request's answer is shown: a slow page of an earlier filter must not land on a newer one.
  let generation = 0;

  async function load(reset: boolean) {
    const mine = reset ? ++generation : generation;
    setLoading(true);
    setError("");
    try {
      const page = await api.get<PageDto<GalleryFile>>(
        `/api/files${qs({ type: filesUrl.kind(), agent: filesUrl.agent(), search: filesUrl.search(), limit: PAGE, cursor: reset ? undefined : cursor() })}`,
      );
      if (mine !== generation) return;
      setItems(reset ? page.data : [...items, ...page.data]);
      setCursor(page.nextCursor);
    } catch (err) {
      if (mine === generation) setError(errorText(err));
    } finally {
      if (mine === generation) setLoading(false);
    }
  }

  // A new filter is a new list, and the selection starts over (its files may not be in it).
  createEffect(
    on([filesUrl.kind, filesUrl.agent, filesUrl.search], () => {
      setSelected(new Set<string>());
      void load(true);
    }),
  );

  // Live: a message with files, or a message gone (its files with it), refreshes the list, unless the
  // person is choosing files: the grid must not move under them.
  let liveTimer: ReturnType<typeof setTimeout> | undefined;
  const refresh = () => {
    clearTimeout(liveTimer);
    liveTimer = setTimeout(() => {
      if (selected().size === 0) void load(true);
    }, 400);
  };
  const offs = [
    onLive("message:created", (m) => m.attachments.length > 0 && refresh()),
    onLive("message:deleted", ({ messageId }) => items.some((f) => f.messageId === messageId) && refresh()),
    onLive("resync", refresh),
  ];
  onCleanup(() => {
    clearTimeout(liveTimer);
    for (const off of offs) off();
  });

  const chosen = createMemo(() => items.filter((f) => selected().has(f.id)));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected());
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  async function downloadZip() {
    const files = chosen();
    if (files.length === 0) return;
    setZipping(true);
    try {
      const blob = await zipSelection(files);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = zipName();
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      toast(`The ZIP could not be made: ${errorText(err)}`, "error");
    } finally {
      setZipping(false);
    }
  }

  // Typing settles for a moment before it becomes a new search (and a request).
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  return (
    <div class="page files-page">
      <header class="page-head">
        <h1>Files</h1>
        <fieldset class="segmented" aria-label="Kind">
          <For each={KINDS}>
            {(k) => (
              <button type="button" class="seg" aria-pressed={filesUrl.kind() === k.id} onClick={() => setQuery({ type: k.id || undefined })}>
                {k.label}
              </button>
            )}
          </For>
        </fieldset>
      </header>
      <div class="filters files-filters">
        <label class="search">
          <SearchIcon />
          <span class="sr-only">Search files by name</span>
          <input
            type="search"
            class="input"
            placeholder="Search by name"
            value={filesUrl.search()}
            onInput={(e) => {
              const v = e.currentTarget.value;
              clearTimeout(searchTimer);
              searchTimer = setTimeout(() => setQuery({ q: v || undefined }), 250);
            }}
          />
        </label>
        <label class="sr-only" for="files-agent">
          Agent
        </label>
        <select id="files-agent" class="input agent-filter" onChange={(e) => setQuery({ agent: e.currentTarget.value || undefined })}>
          <option value="">All agents</option>
          <For each={agents}>
            {(a) => (
              <option value={a.id} selected={filesUrl.agent() === a.id}>
                {a.name}
              </option>
            )}
          </For>
        </select>
      </div>

      <div class="files-toolbar" role="toolbar" aria-label="Selection">
        <span class="muted" role="status">
          {selected().size > 0 ? `${chosen().length} selected` : `${items.length}${cursor() ? "+" : ""} file${items.length === 1 ? "" : "s"}`}
        </span>
        <span class="grow" />
        <button type="button" class="btn btn-sm btn-ghost" disabled={items.length === 0} onClick={() => setSelected(new Set(items.map((f) => f.id)))}>
          Select all
        </button>
        <button type="button" class="btn btn-sm btn-ghost" disabled={selected().size === 0} onClick={() => setSelected(new Set<string>())}>
          Clear selection
        </button>
        <button type="button" class="btn btn-sm btn-primary" disabled={chosen().length === 0 || zipping()} aria-busy={zipping()} onClick={downloadZip}>
          <DownloadIcon /> {zipping() ? "Making the ZIP…" : "Download ZIP"}
        </button>
      </div>

      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <Show when={!loading() && items.length === 0 && !error()}>
        <div class="empty">
          <p>No files here.</p>
          <p class="muted small">
            {filesUrl.kind() || filesUrl.agent() || filesUrl.search()
              ? "Try another kind, agent or search."
              : "Files your agents send (and those you send them) show up here."}
          </p>
        </div>
      </Show>
      <ul class="files-grid" aria-label="Files" aria-busy={loading()}>
        <For each={items}>{(f) => <FileTile file={f} selected={selected().has(f.id)} onToggle={(on) => toggle(f.id, on)} />}</For>
      </ul>
      <Show when={cursor() && !error()}>
        <div class="files-more">
          <button type="button" class="btn" disabled={loading()} onClick={() => load(false)}>
            {loading() ? "Loading…" : "Load more"}
          </button>
        </div>
      </Show>
    </div>
  );
}

function FileTile(props: { file: GalleryFile; selected: boolean; onToggle: (on: boolean) => void }) {
  const f = () => props.file;
  const checkId = `pick-${props.file.id}`;
  return (
    <li class="file-tile" classList={{ selected: props.selected }} data-file-id={f().id}>
      <div class="file-tile-preview">
        <Show
          when={fileKind(f()) === "image"}
          fallback={
            <span class="file-icon file-tile-icon" aria-hidden="true">
              {fileIcon(f())}
            </span>
          }
        >
          <img src={downloadUrl(f().id)} alt="" loading="lazy" />
        </Show>
        <input id={checkId} class="file-tile-check" type="checkbox" checked={props.selected} onChange={(e) => props.onToggle(e.currentTarget.checked)} />
      </div>
      <label class="file-tile-name file-name" for={checkId} title={f().filename}>
        <span class="sr-only">Select </span>
        {f().filename}
      </label>
      <p class="file-tile-meta muted small">
        {f().agentName} · {bytes(f().size)} · <TimeAgo iso={f().createdAt} />
      </p>
      <div class="file-tile-actions">
        <a
          class="btn btn-sm btn-ghost"
          href={`/chat/${encodeURIComponent(f().channelId)}?m=${encodeURIComponent(f().messageId ?? "")}`}
          aria-label={`Open message of ${f().filename}`}
        >
          Open message
        </a>
        <a class="btn btn-sm btn-ghost" href={downloadUrl(f().id)} download={f().filename} data-native aria-label={`Download ${f().filename}`} title="Download">
          <DownloadIcon />
        </a>
        <CopyLinkButton file={f()} compact />
      </div>
    </li>
  );
}
