// A thin wrapper around the D1 binding that refuses what production D1 refuses and local workerd
// lets through (or only partly enforces). Tests run the whole Worker behind it, so the next query
// that breaks one of these limits fails a test instead of a customer.
// https://developers.cloudflare.com/d1/platform/limits/
const D1_LIMITS = {
  boundParameters: 100,
  statementBytes: 100_000,
  /** A string, BLOB or row. */
  valueBytes: 2_000_000,
  likePatternBytes: 50,
  functionArguments: 32,
} as const;

export class D1LimitError extends Error {
  override name = "D1LimitError";
}

const bytes = (value: unknown) =>
  typeof value === "string" ? new TextEncoder().encode(value).byteLength : value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? value.byteLength : 8;

/** SQL words followed by "(" that are not function calls. */
const NOT_FUNCTIONS = new Set(["in", "values", "exists", "as", "on", "using", "and", "or", "not", "select", "from", "where", "join"]);

/** The most arguments any function call in `sql` takes (string literals skipped). */
function widestCall(sql: string): number {
  const code = sql.replace(/'(?:[^']|'')*'/g, "''");
  let widest = 0;
  for (const call of code.matchAll(/([A-Za-z_][\w]*)\(/g)) {
    if (NOT_FUNCTIONS.has(call[1]!.toLowerCase())) continue;
    let depth = 0;
    let args = 1;
    for (let i = call.index! + call[0].length; i < code.length; i++) {
      const ch = code[i];
      if (ch === "(") depth++;
      else if (ch === ")" && depth-- === 0) break;
      else if (ch === "," && depth === 0) args++;
    }
    widest = Math.max(widest, args);
  }
  return widest;
}

/** Each `?` / `?N` placeholder's offset in `code` and parameter index (0-based), by SQLite's numbering. */
function placeholders(code: string): { at: number; index: number }[] {
  const found: { at: number; index: number }[] = [];
  let largest = 0;
  for (const m of code.matchAll(/\?(\d*)/g)) {
    const n = m[1] ? Number(m[1]) : largest + 1;
    largest = Math.max(largest, n);
    found.push({ at: m.index!, index: n - 1 });
  }
  return found;
}

/** Where the operand after LIKE/GLOB at `from` ends: a top-level keyword, comma or closing bracket. */
function operandEnd(code: string, from: number): number {
  let depth = 0;
  for (let i = from; i < code.length; i++) {
    const ch = code[i];
    if (ch === "(") depth++;
    else if (ch === ")" && depth-- === 0) return i;
    else if (depth === 0 && ch === ",") return i;
    else if (depth === 0 && /\s/.test(ch!) && /^\s+(escape|and|or|then|when|else|end|order|group|limit|union|collate)\b/i.test(code.slice(i))) return i;
  }
  return code.length;
}

/**
 * The LIKE and GLOB patterns of `sql` as the bytes each can reach: the bound values and string literals of
 * its operand added up (`'%' || ? || '%'`, `lower(?1)` and plain `?` alike).
 */
function patternSizes(sql: string, values: unknown[]): number[] {
  const literals: string[] = [];
  const code = sql.replace(/'(?:[^']|'')*'/g, (literal) => `'${literals.push(literal.slice(1, -1)) - 1}'`);
  const params = placeholders(code);
  const sizes: number[] = [];
  for (const m of code.matchAll(/\b(?:like|glob)\b/gi)) {
    const from = m.index! + m[0].length;
    const to = operandEnd(code, from);
    let size = 0;
    for (const p of params) if (p.at >= from && p.at < to) size += bytes(values[p.index]);
    for (const l of code.slice(from, to).matchAll(/'(\d+)'/g)) size += bytes(literals[Number(l[1])]);
    sizes.push(size);
  }
  return sizes;
}

function assertStatement(sql: string) {
  if (bytes(sql) > D1_LIMITS.statementBytes) throw new D1LimitError(`D1 limit: SQL statement longer than ${D1_LIMITS.statementBytes} bytes`);
  if (widestCall(sql) > D1_LIMITS.functionArguments) throw new D1LimitError(`D1 limit: more than ${D1_LIMITS.functionArguments} arguments to a SQL function`);
}

function assertBindings(sql: string, values: unknown[]) {
  if (values.length > D1_LIMITS.boundParameters) throw new D1LimitError(`D1 limit: ${values.length} bound parameters (at most ${D1_LIMITS.boundParameters})`);
  let total = 0;
  for (const value of values) {
    const size = bytes(value);
    if (size > D1_LIMITS.valueBytes) throw new D1LimitError(`D1 limit: a bound value of ${size} bytes (at most ${D1_LIMITS.valueBytes})`);
    total += size;
  }
  // What one statement binds ends up in at most one row (Nod writes a row per statement).
  if (/^\s*(insert|update|replace)\b/i.test(sql) && total > D1_LIMITS.valueBytes) {
    throw new D1LimitError(`D1 limit: a row of about ${total} bytes (at most ${D1_LIMITS.valueBytes})`);
  }
  if (patternSizes(sql, values).some((size) => size > D1_LIMITS.likePatternBytes)) {
    throw new D1LimitError("D1 limit: LIKE or GLOB pattern too complex");
  }
}

const inner = new WeakMap<object, D1PreparedStatement>();

/** How many statements the wrappers have checked: a test reads it to prove the Worker runs behind one. */
export const checked = { statements: 0 };

function strictStatement(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, prop) {
      if (prop === "bind") {
        return (...values: unknown[]) => {
          assertBindings(sql, values);
          return strictStatement(target.bind(...values), sql);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  inner.set(proxy, statement);
  return proxy;
}

/** `db`, refusing what production D1 refuses. */
export function strictD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => {
          checked.statements++;
          assertStatement(sql);
          return strictStatement(target.prepare(sql), sql);
        };
      }
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => target.batch(statements.map((s) => inner.get(s) ?? s));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
