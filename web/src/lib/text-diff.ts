// A small text diff for iteration chains: what an agent changed between two versions of a message.
// Words first (prose changes a word here and there); when the texts are too long for that, lines, and
// then words again inside each changed block of lines; a plain "all replaced" past that: the LCS table
// is (n+1)·(m+1) cells, so its size is capped.

export interface DiffPart {
  kind: "same" | "added" | "removed";
  text: string;
}

/** The most LCS cells computed (4 bytes each): about 4 MB. */
const MAX_CELLS = 1_000_000;

/** Runs of spaces, runs of letters and digits, and each other character alone ("v1.2:" → v 1 . 2 :). */
const words = (s: string) => s.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
const lines = (s: string) => s.match(/[^\n]*\n|[^\n]+$/g) ?? [];

/** `before` → `after` as runs of kept, removed and added text, in reading order. */
export function diffText(before: string, after: string): DiffPart[] {
  if (before === after) return before ? [{ kind: "same", text: before }] : [];
  const byWords = diffTokens(words(before), words(after));
  if (byWords) return byWords;
  const byLines = diffTokens(lines(before), lines(after));
  return byLines ? refine(byLines) : replaced(before, after);
}

/** A line diff with each block of removed lines followed by added ones diffed again word by word. */
function refine(parts: DiffPart[]): DiffPart[] {
  const out = new Builder();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    const inside = part.kind === "removed" && next?.kind === "added" ? diffTokens(words(part.text), words(next.text)) : undefined;
    if (inside) {
      for (const w of inside) out.push(w.kind, w.text);
      i++;
    } else out.push(part.kind, part.text);
  }
  return out.parts;
}

const replaced = (before: string, after: string): DiffPart[] => [
  ...(before ? [{ kind: "removed" as const, text: before }] : []),
  ...(after ? [{ kind: "added" as const, text: after }] : []),
];

/** The diff of two token lists by their longest common subsequence; undefined when too big to compute. */
function diffTokens(a: string[], b: string[]): DiffPart[] | undefined {
  // The common start and end cost nothing and shrink the table.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const n = x.length;
  const m = y.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) return undefined;

  // lcs[i][j]: the LCS length of x[i..] and y[j..], row-major in one array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const out = new Builder();
  out.push("same", a.slice(0, start).join(""));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      out.push("same", x[i++]!);
      j++;
    } else if (j >= m || (i < n && lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) out.push("removed", x[i++]!);
    else out.push("added", y[j++]!);
  }
  out.push("same", a.slice(endA).join(""));
  return out.parts;
}

/** Joins neighbouring tokens of the same kind into one run. */
class Builder {
  readonly parts: DiffPart[] = [];
  push(kind: DiffPart["kind"], text: string) {
    if (!text) return;
    const last = this.parts[this.parts.length - 1];
    if (last?.kind === kind) last.text += text;
    else this.parts.push({ kind, text });
  }
}

/** How many words were added and removed (for the summary line). */
export function diffStats(parts: DiffPart[]) {
  const count = (kind: DiffPart["kind"]) => parts.filter((p) => p.kind === kind).reduce((n, p) => n + (p.text.match(/\S+/g)?.length ?? 0), 0);
  return { added: count("added"), removed: count("removed") };
}
