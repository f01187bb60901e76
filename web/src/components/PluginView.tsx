// Plugins: a message whose metadata names one is rendered by it. `form-submit` is drawn natively;
// `diff` (and any plugin shipped under /plugins/) runs in an iframe sandboxed with `allow-scripts`
// only, talking to the app over a small postMessage bridge:
//   frame → app  {type: "nod:ready"} | {type: "nod:resize", height} | {type: "nod:respond", response}
//   app → frame  {type: "nod:init", plugin, data, theme, review} | {type: "nod:theme", theme} |
//                {type: "nod:answered", ok, error?, review?}
// A plugin may answer its message's pending review once; the answer is checked with the same zod
// schema as every other answer before it is sent.
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { answerPath, api, ApiError } from "../lib/api";
import { effectiveTheme } from "../lib/theme";
import type { Message } from "../lib/types";

/** Plugins whose frame page ships with the app (web/public/plugins/<name>.html). */
export const FRAME_PLUGINS = ["diff"];
export const NATIVE_PLUGINS = ["form-submit"];

export function pluginOf(m: Message): string | undefined {
  const fromMeta = m.metadata?.plugin;
  if (typeof fromMeta === "string") return fromMeta;
  const fromPayload = m.review?.type === "freeform" ? m.review.payload.plugin : undefined;
  return typeof fromPayload === "string" ? fromPayload : undefined;
}

export function PluginView(props: { message: Message; onUpdate: (m: Message) => void }) {
  const name = () => pluginOf(props.message)!;
  const data = () => (typeof props.message.metadata?.plugin === "string" ? props.message.metadata : (props.message.review?.payload ?? {}));
  return (
    <Show
      when={NATIVE_PLUGINS.includes(name())}
      fallback={
        <Show when={FRAME_PLUGINS.includes(name())} fallback={<UnknownPlugin name={name()} data={data()} />}>
          <PluginFrame name={name()} data={data()} message={props.message} onUpdate={props.onUpdate} />
        </Show>
      }
    >
      <FormSubmitCard data={data()} />
    </Show>
  );
}

const humanize = (key: string) =>
  key
    .replace(/[_-]+/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/^./, (c) => c.toUpperCase());

function FormSubmitCard(props: { data: Record<string, unknown> }) {
  const entries = () => Object.entries(props.data).filter(([k]) => k !== "plugin");
  return (
    <div class="plugin-card" data-plugin="form-submit">
      <div class="plugin-title">Form submission</div>
      <dl class="kv">
        <For each={entries()}>
          {([k, v]) => (
            <>
              <dt>{humanize(k)}</dt>
              <dd>{v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v)}</dd>
            </>
          )}
        </For>
      </dl>
    </div>
  );
}

function UnknownPlugin(props: { name: string; data: Record<string, unknown> }) {
  return (
    <details class="plugin-card plugin-unknown">
      <summary>Plugin “{props.name}” is not installed; show its data</summary>
      <pre class="code">
        <code>{JSON.stringify(props.data, null, 2)}</code>
      </pre>
    </details>
  );
}

function PluginFrame(props: { name: string; data: Record<string, unknown>; message: Message; onUpdate: (m: Message) => void }) {
  let frame!: HTMLIFrameElement;
  const [height, setHeight] = createSignal(160);
  let answered = false;
  const post = (msg: unknown) => frame.contentWindow?.postMessage(msg, "*");
  const reviewView = () => {
    const r = props.message.review;
    return r ? { type: r.type, status: r.status, payload: r.payload, response: r.response, expiresAt: r.expiresAt } : null;
  };

  const respond = async (response: unknown) => {
    const review = props.message.review;
    if (answered || !review || review.status !== "pending") {
      post({ type: "nod:answered", ok: false, error: "This review cannot be answered here." });
      return;
    }
    const { validateResponse } = await import("../reviews/validate");
    const checked = validateResponse(review, response);
    if (!checked.ok) {
      post({ type: "nod:answered", ok: false, error: checked.summary });
      return;
    }
    answered = true;
    try {
      const m = await api.post<Message>(answerPath(props.message), { response: checked.value });
      props.onUpdate(m);
      post({ type: "nod:answered", ok: true, review: m.review });
    } catch (err) {
      answered = err instanceof ApiError && (err.status === 409 || err.status === 410);
      post({ type: "nod:answered", ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  };

  const onMessage = (e: MessageEvent) => {
    if (e.source !== frame.contentWindow || typeof e.data !== "object" || !e.data) return;
    const d = e.data as { type?: string; height?: unknown; response?: unknown };
    if (d.type === "nod:ready")
      post({
        type: "nod:init",
        plugin: props.name,
        data: JSON.parse(JSON.stringify(props.data)),
        theme: effectiveTheme(),
        review: JSON.parse(JSON.stringify(reviewView())),
      });
    else if (d.type === "nod:resize" && typeof d.height === "number") setHeight(Math.max(40, Math.min(2000, Math.ceil(d.height))));
    else if (d.type === "nod:respond") void respond(d.response);
  };
  const onTheme = () => post({ type: "nod:theme", theme: effectiveTheme() });
  onMount(() => {
    window.addEventListener("message", onMessage);
    window.addEventListener("nod:theme", onTheme);
  });
  onCleanup(() => {
    window.removeEventListener("message", onMessage);
    window.removeEventListener("nod:theme", onTheme);
  });
  return (
    <iframe
      ref={frame}
      class="plugin-frame"
      data-plugin={props.name}
      src={`/plugins/${encodeURIComponent(props.name)}`}
      sandbox="allow-scripts"
      title={`Plugin ${props.name}`}
      height={height()}
      referrerpolicy="no-referrer"
    />
  );
}
