// Modal dialogs on the native <dialog>: focus is trapped, Escape closes, focus returns after.
import { createSignal, type JSX, onMount, Show } from "solid-js";

export function Modal(props: { title: string; onClose: () => void; children: JSX.Element; wide?: boolean; class?: string }) {
  let ref!: HTMLDialogElement;
  const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  onMount(() => ref.showModal());
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop is the pointer's way to close; keyboards have Escape (the cancel event)
    <dialog
      ref={ref}
      class={`modal ${props.wide ? "modal-wide" : ""} ${props.class ?? ""}`}
      aria-labelledby={id}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onClick={(e) => {
        if (e.target === ref) props.onClose();
      }}
    >
      <div class="modal-body">
        <h2 id={id} class="modal-title">
          {props.title}
        </h2>
        {props.children}
      </div>
    </dialog>
  );
}

interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
  resolve: (ok: boolean) => void;
}
const [pending, setPending] = createSignal<ConfirmRequest | undefined>();

/** Asks a yes/no question in a dialog; resolves true when confirmed. */
export function confirmDialog(opts: Omit<ConfirmRequest, "resolve">): Promise<boolean> {
  return new Promise((resolve) => setPending({ ...opts, resolve }));
}

export function ConfirmHost() {
  const close = (ok: boolean) => {
    pending()?.resolve(ok);
    setPending(undefined);
  };
  return (
    <Show when={pending()}>
      {(req) => (
        <Modal title={req().title} onClose={() => close(false)}>
          <p>{req().body}</p>
          <div class="row end gap">
            <button type="button" class="btn" onClick={() => close(false)}>
              Cancel
            </button>
            <button type="button" class={`btn ${req().danger ? "btn-danger" : "btn-primary"}`} onClick={() => close(true)} autofocus>
              {req().confirm}
            </button>
          </div>
        </Modal>
      )}
    </Show>
  );
}
