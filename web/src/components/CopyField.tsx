// A secret shown in a read-only field with a Copy button.
import { createSignal } from "solid-js";

export async function copyText(text: string) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function CopyField(props: { value: string; label: string; masked?: boolean }) {
  let input!: HTMLInputElement;
  const [copied, setCopied] = createSignal(false);
  const copy = async () => {
    if (!(await copyText(props.value))) {
      input.type = "text";
      input.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class="copy-field">
      <input
        ref={input}
        type={props.masked ? "password" : "text"}
        readonly
        value={props.value}
        aria-label={props.label}
        class="input mono"
        onFocus={(e) => e.currentTarget.select()}
      />
      <button type="button" class="btn" onClick={copy}>
        {copied() ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
