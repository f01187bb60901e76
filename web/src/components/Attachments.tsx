// Files on a message: inline previews by kind, a download card for the rest, and a single text/html
// attachment in a sandboxed iframe when the person turned on "Inline HTML".
import { createEffect, createSignal, For, lazy, Match, onCleanup, onMount, Show, Suspense, Switch } from "solid-js";
import { useAsync } from "../lib/async";
import { apiPath, downloadUrl } from "../lib/api";
import { fileIcon, fileKind } from "../lib/files";
import { prefs } from "../lib/state";
import { bytes } from "../lib/time";
import type { Attachment, Message } from "../lib/types";
import { Modal } from "./Dialog";
import { CopyLinkButton } from "./CopyLinkButton";
import { DownloadIcon, PenIcon } from "./Icons";

const Annotator = lazy(() => import("./Annotator"));

export function Attachments(props: { message: Message; onSent?: (m: Message) => void }) {
  const single = () => (props.message.attachments.length === 1 ? props.message.attachments[0] : undefined);
  const inlineHtml = () => {
    const f = single();
    return f && fileKind(f) === "html" && prefs().inlineHtml ? f : undefined;
  };
  return (
    <Show when={props.message.attachments.length > 0}>
      <div class="attachments">
        <Show
          when={inlineHtml()}
          fallback={
            <For each={props.message.attachments}>{(file) => <FilePreview file={file} channelId={props.message.channelId} onSent={props.onSent} />}</For>
          }
        >
          {(file) => (
            <>
              <InlineHtmlFrame file={file()} />
              <DownloadCard file={file()} />
            </>
          )}
        </Show>
      </div>
    </Show>
  );
}

export function DownloadCard(props: { file: Attachment; note?: string }) {
  return (
    <a class="file-card" href={downloadUrl(props.file.id)} download={props.file.filename} data-native>
      <span class="file-icon" aria-hidden="true">
        {fileIcon(props.file)}
      </span>
      <span class="file-meta">
        <span class="file-name">{props.file.filename}</span>
        <span class="file-size">
          {bytes(props.file.size)}
          {props.note ? ` · ${props.note}` : ""}
        </span>
      </span>
      <DownloadIcon />
      <span class="sr-only">Download</span>
    </a>
  );
}

/** A download card with its "Copy link" button beside it. */
function SharedCard(props: { file: Attachment; note?: string }) {
  return (
    <div class="file-card-row">
      <DownloadCard file={props.file} {...(props.note ? { note: props.note } : {})} />
      <CopyLinkButton file={props.file} />
    </div>
  );
}

function FilePreview(props: { file: Attachment; channelId: string; onSent?: ((m: Message) => void) | undefined }) {
  const kind = () => fileKind(props.file);
  return (
    <Switch fallback={<SharedCard file={props.file} />}>
      <Match when={kind() === "image"}>
        <ImagePreview file={props.file} channelId={props.channelId} onSent={props.onSent} />
      </Match>
      <Match when={kind() === "pdf"}>
        <PdfPreview file={props.file} />
      </Match>
      <Match when={kind() === "video"}>
        <figure class="media-preview">
          {/* biome-ignore lint/a11y/useMediaCaption: an agent's upload comes without a captions file, so there is no track to give it */}
          <video src={downloadUrl(props.file.id)} controls preload="metadata" aria-label={props.file.filename} />
          <SharedCard file={props.file} />
        </figure>
      </Match>
      <Match when={kind() === "audio"}>
        <figure class="media-preview">
          {/* biome-ignore lint/a11y/useMediaCaption: an agent's upload comes without a captions file, so there is no track to give it */}
          <audio src={downloadUrl(props.file.id)} controls preload="metadata" aria-label={props.file.filename} />
          <SharedCard file={props.file} />
        </figure>
      </Match>
      <Match when={kind() === "text"}>
        <TextPreview file={props.file} />
      </Match>
      <Match when={kind() === "html"}>
        <SharedCard file={props.file} note="HTML (turn on Inline HTML in Settings to render it)" />
      </Match>
    </Switch>
  );
}

function ImagePreview(props: { file: Attachment; channelId: string; onSent?: ((m: Message) => void) | undefined }) {
  const [open, setOpen] = createSignal(false);
  const [annotate, setAnnotate] = createSignal(false);
  return (
    <figure class="image-preview">
      <button type="button" class="image-button" onClick={() => setOpen(true)} aria-label={`Open image ${props.file.filename}`}>
        <img src={downloadUrl(props.file.id)} alt={props.file.filename} loading="lazy" />
      </button>
      <figcaption class="row gap-sm">
        <span class="file-name">{props.file.filename}</span>
        <span class="muted">{bytes(props.file.size)}</span>
        <span class="grow" />
        <CopyLinkButton file={props.file} />
        <button type="button" class="btn btn-sm btn-ghost" onClick={() => setAnnotate(true)}>
          <PenIcon /> Annotate
        </button>
        <a class="btn btn-sm btn-ghost" href={downloadUrl(props.file.id)} download={props.file.filename} data-native>
          <DownloadIcon /> Download
        </a>
      </figcaption>
      <Show when={open()}>
        <Modal title={props.file.filename} onClose={() => setOpen(false)} wide>
          <img class="lightbox-img" src={downloadUrl(props.file.id)} alt={props.file.filename} />
          <div class="row end gap">
            <button
              type="button"
              class="btn"
              onClick={() => {
                setOpen(false);
                setAnnotate(true);
              }}
            >
              <PenIcon /> Annotate
            </button>
            <button type="button" class="btn btn-primary" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </Modal>
      </Show>
      <Show when={annotate()}>
        <Suspense>
          <Annotator file={props.file} channelId={props.channelId} onClose={() => setAnnotate(false)} onSent={(m) => props.onSent?.(m)} />
        </Suspense>
      </Show>
    </figure>
  );
}

function PdfPreview(props: { file: Attachment }) {
  const [show, setShow] = createSignal(false);
  return (
    <div class="pdf-preview">
      <SharedCard file={props.file} />
      <Show
        when={show()}
        fallback={
          <button type="button" class="btn btn-sm" onClick={() => setShow(true)}>
            Preview PDF
          </button>
        }
      >
        <PdfFrame file={props.file} />
      </Show>
    </div>
  );
}

/**
 * The PDF in the browser's own viewer, from `/api/files/:id/view`, which serves it with
 * `Content-Security-Policy: sandbox`: the document is sandboxed (an opaque origin, no scripts of the
 * page's) by its own header. The frame cannot carry a `sandbox` attribute: Chromium refuses to render
 * a PDF in any sandboxed iframe, whatever its tokens (crbug.com/413851), and shows an error page.
 * test/e2e/web-links.test.ts checks that the viewer renders.
 */
function PdfFrame(props: { file: Attachment }) {
  return <iframe class="pdf-frame" src={apiPath`/api/files/${props.file.id}/view`} title={`PDF ${props.file.filename}`} />;
}

const TEXT_LIMIT = 64 * 1024;

function TextPreview(props: { file: Attachment }) {
  const [expanded, setExpanded] = createSignal(false);
  const load = useAsync(
    () => props.file.id,
    async (id) => {
      const res = await fetch(downloadUrl(id));
      if (!res.ok) throw new Error(String(res.status));
      const t = await res.text();
      return t.length > TEXT_LIMIT ? `${t.slice(0, TEXT_LIMIT)}\n…` : t;
    },
  );
  const text = load.value;
  const long = () => (text()?.split("\n").length ?? 0) > 16;
  return (
    <figure class="text-preview">
      <SharedCard file={props.file} />
      <Show when={text()} fallback={<p class="muted">{load.error() ? "Preview unavailable" : "Loading…"}</p>}>
        {/* The section scrolls: focusable, so keys scroll it, and named for whoever lands on it. */}
        <section class="code-view" classList={{ clipped: long() && !expanded() }} tabindex="0" aria-label={`Contents of ${props.file.filename}`}>
          <pre class="code">
            <code>{text()}</code>
          </pre>
        </section>
        <Show when={long()}>
          <button type="button" class="btn btn-sm btn-link" aria-expanded={expanded()} onClick={() => setExpanded(!expanded())}>
            {expanded() ? "Show less" : "Show all"}
          </button>
        </Show>
      </Show>
    </figure>
  );
}

/**
 * A text/html attachment, rendered in an iframe sandboxed with `allow-scripts` only: its origin is
 * opaque, so it cannot reach the app, its cookies or the API. The frame page (/sandbox/inline) has its
 * own CSP (no network) and writes the HTML it is sent over postMessage.
 */
export function InlineHtmlFrame(props: { file: Attachment }) {
  let frame!: HTMLIFrameElement;
  const [height, setHeight] = createSignal(240);
  const html = useAsync(
    () => props.file.id,
    async (id) => (await fetch(downloadUrl(id))).text(),
  ).value;
  let ready = false;
  let sent = false;
  const send = () => {
    const h = html();
    if (!ready || sent || h === undefined) return;
    sent = true;
    frame.contentWindow?.postMessage({ type: "nod:render", html: h }, "*");
  };
  const onMessage = (e: MessageEvent) => {
    if (e.source !== frame.contentWindow || typeof e.data !== "object" || !e.data) return;
    if (e.data.type === "nod:ready") {
      ready = true;
      send();
    } else if (e.data.type === "nod:resize" && typeof e.data.height === "number") {
      setHeight(Math.max(60, Math.min(1600, Math.ceil(e.data.height))));
    }
  };
  createEffect(() => {
    if (html() !== undefined) send();
  });
  onMount(() => window.addEventListener("message", onMessage));
  onCleanup(() => window.removeEventListener("message", onMessage));
  return (
    <div class="html-attachment">
      <iframe
        ref={frame}
        class="html-frame"
        src="/sandbox/inline"
        sandbox="allow-scripts"
        title={`HTML attachment ${props.file.filename}`}
        height={height()}
        referrerpolicy="no-referrer"
      />
    </div>
  );
}
