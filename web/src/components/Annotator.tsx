// Image annotation on a canvas: pen, arrow, rectangle and text in a few colours, with undo. The
// result is stored as a new PNG and sent back to the agent in the chat.
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { api, downloadUrl, storeFile } from "../lib/api";
import { errorText, toast } from "../lib/state";
import type { Attachment, Message } from "../lib/types";
import { Modal } from "./Dialog";

type Tool = "pen" | "arrow" | "rect" | "text";
type Pt = { x: number; y: number };
type Shape =
  | { tool: "pen"; color: string; width: number; points: Pt[] }
  | { tool: "arrow" | "rect"; color: string; width: number; from: Pt; to: Pt }
  | { tool: "text"; color: string; size: number; at: Pt; text: string };

const COLORS = [
  { id: "#e5484d", label: "Red" },
  { id: "#f5a524", label: "Amber" },
  { id: "#30a46c", label: "Green" },
  { id: "#3e63dd", label: "Blue" },
  { id: "#111111", label: "Black" },
  { id: "#ffffff", label: "White" },
];
const TOOLS: { id: Tool; label: string }[] = [
  { id: "pen", label: "Pen" },
  { id: "arrow", label: "Arrow" },
  { id: "rect", label: "Rectangle" },
  { id: "text", label: "Text" },
];
const MAX_SIDE = 2400;

export default function Annotator(props: { file: Attachment; channelId: string; onClose: () => void; onSent: (m: Message) => void }) {
  let canvas!: HTMLCanvasElement;
  const img = new Image();
  const [ready, setReady] = createSignal(false);
  const [tool, setTool] = createSignal<Tool>("pen");
  const [color, setColor] = createSignal(COLORS[0]!.id);
  const [label, setLabel] = createSignal("");
  const [shapes, setShapes] = createSignal<Shape[]>([]);
  const [note, setNote] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  let draft: Shape | undefined;

  const scale = () => Math.max(canvas.width, canvas.height) / 1000;

  const drawShape = (ctx: CanvasRenderingContext2D, s: Shape) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (s.tool === "pen") {
      ctx.lineWidth = s.width;
      ctx.beginPath();
      for (const [i, p] of s.points.entries()) {
        if (i) ctx.lineTo(p.x, p.y);
        else ctx.moveTo(p.x, p.y);
      }
      ctx.stroke();
    } else if (s.tool === "rect") {
      ctx.lineWidth = s.width;
      ctx.strokeRect(Math.min(s.from.x, s.to.x), Math.min(s.from.y, s.to.y), Math.abs(s.to.x - s.from.x), Math.abs(s.to.y - s.from.y));
    } else if (s.tool === "arrow") {
      ctx.lineWidth = s.width;
      const angle = Math.atan2(s.to.y - s.from.y, s.to.x - s.from.x);
      const head = s.width * 4;
      ctx.beginPath();
      ctx.moveTo(s.from.x, s.from.y);
      ctx.lineTo(s.to.x, s.to.y);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(s.to.x, s.to.y);
      ctx.lineTo(s.to.x - head * Math.cos(angle - Math.PI / 6), s.to.y - head * Math.sin(angle - Math.PI / 6));
      ctx.lineTo(s.to.x - head * Math.cos(angle + Math.PI / 6), s.to.y - head * Math.sin(angle + Math.PI / 6));
      ctx.closePath();
      ctx.fill();
    } else if (s.tool === "text") {
      ctx.font = `600 ${s.size}px system-ui, sans-serif`;
      ctx.textBaseline = "top";
      ctx.lineWidth = s.size / 8;
      ctx.strokeStyle = s.color === "#111111" ? "#ffffff" : "#000000";
      ctx.strokeText(s.text, s.at.x, s.at.y);
      ctx.fillText(s.text, s.at.x, s.at.y);
    }
  };

  const redraw = () => {
    const ctx = canvas.getContext("2d")!;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    for (const s of shapes()) drawShape(ctx, s);
    if (draft) drawShape(ctx, draft);
  };

  const point = (e: PointerEvent): Pt => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * canvas.width, y: ((e.clientY - r.top) / r.height) * canvas.height };
  };

  const down = (e: PointerEvent) => {
    if (!ready()) return;
    const p = point(e);
    const width = 4 * scale();
    if (tool() === "text") {
      const text = label().trim();
      if (!text) {
        toast("Type the label text first", "info");
        return;
      }
      setShapes((s) => [...s, { tool: "text", color: color(), size: 28 * scale(), at: p, text }]);
      redraw();
      return;
    }
    canvas.setPointerCapture(e.pointerId);
    draft =
      tool() === "pen" ? { tool: "pen", color: color(), width, points: [p] } : { tool: tool() as "arrow" | "rect", color: color(), width, from: p, to: p };
  };
  const move = (e: PointerEvent) => {
    if (!draft) return;
    const p = point(e);
    if (draft.tool === "pen") draft.points.push(p);
    else if (draft.tool === "arrow" || draft.tool === "rect") draft.to = p;
    redraw();
  };
  const up = () => {
    if (!draft) return;
    const done = draft;
    draft = undefined;
    setShapes((s) => [...s, done]);
    redraw();
  };
  const undo = () => {
    setShapes((s) => s.slice(0, -1));
    redraw();
  };

  const onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "z") {
      e.preventDefault();
      undo();
    }
  };
  onMount(() => {
    img.onload = () => {
      const k = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
      canvas.width = Math.round(img.naturalWidth * k);
      canvas.height = Math.round(img.naturalHeight * k);
      setReady(true);
      redraw();
    };
    img.onerror = () => toast("The image could not be loaded", "error");
    img.src = downloadUrl(props.file.id);
    document.addEventListener("keydown", onKey);
  });
  onCleanup(() => document.removeEventListener("keydown", onKey));

  const send = async () => {
    setBusy(true);
    try {
      const blob = await new Promise<Blob>((resolve, reject) =>
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("could not export the image"))), "image/png"),
      );
      const base = props.file.filename.replace(/\.[^.]+$/, "");
      const stored = await storeFile(props.channelId, blob, `${base}-annotated.png`);
      const text = note().trim() ? note().trim() : `Annotated ${props.file.filename}`;
      const m = await api.post<Message>("/api/messages", { channelId: props.channelId, text, attachmentIds: [stored.id], clientId: crypto.randomUUID() });
      props.onSent(m);
      toast("Annotated image sent", "success");
      props.onClose();
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Annotate ${props.file.filename}`} onClose={props.onClose} wide class="annotator">
      <div class="annotator-tools" role="toolbar" aria-label="Drawing tools">
        <fieldset class="segmented" aria-label="Tool">
          <For each={TOOLS}>
            {(t) => (
              <button type="button" class="seg" aria-pressed={tool() === t.id} onClick={() => setTool(t.id)}>
                {t.label}
              </button>
            )}
          </For>
        </fieldset>
        <fieldset class="swatches" aria-label="Colour">
          <For each={COLORS}>
            {(c) => (
              <button
                type="button"
                class="swatch"
                style={{ "--swatch": c.id }}
                aria-label={c.label}
                aria-pressed={color() === c.id}
                onClick={() => setColor(c.id)}
              />
            )}
          </For>
        </fieldset>
        <Show when={tool() === "text"}>
          <input
            class="input input-sm"
            placeholder="Label text, then click the image"
            aria-label="Label text"
            value={label()}
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
        </Show>
        <button type="button" class="btn btn-sm" onClick={undo} disabled={shapes().length === 0} aria-keyshortcuts="Control+Z">
          Undo
        </button>
      </div>
      <div class="annotator-canvas-wrap">
        <canvas
          ref={canvas}
          class="annotator-canvas"
          classList={{ "tool-text": tool() === "text" }}
          onPointerDown={down}
          onPointerMove={move}
          onPointerUp={up}
          onPointerCancel={up}
          aria-label={`Drawing surface over ${props.file.filename}`}
          role="img"
        />
      </div>
      <div class="row gap">
        <input
          class="input grow"
          placeholder="Add a note (optional)"
          aria-label="Note to send with the image"
          value={note()}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
        <button type="button" class="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="btn btn-primary" onClick={send} disabled={busy() || !ready()}>
          {busy() ? "Sending…" : "Send to agent"}
        </button>
      </div>
    </Modal>
  );
}
