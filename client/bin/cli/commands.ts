// The commands of `nod`: each maps to one or two calls of the agent API (docs/api.md) through NodClient.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { type AgentStatus, type Message, type NodClient, ReviewExpiredError } from "../../src/index";
import { EXIT, type ExitCode, UsageError } from "./exit-codes";
import { outcomeOf } from "./outcome";
import type { Progress } from "./progress";
import { type ReviewFlags, reviewFromFlags } from "./review";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Context {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** The client, built from the flags and environment only when the command calls the server. */
  client(): NodClient;
  progress: Progress;
  /** Writes a line to stdout: JSON with --json (and always for answers), else the command's plain text. */
  print(value: unknown, plain?: string): void;
}

export interface Command {
  summary: string;
  usage: string;
  options: Options;
  run(ctx: Context): Promise<ExitCode>;
}

const AGENT_STATUSES = ["active", "busy", "error", "offline"] as const satisfies readonly AgentStatus[];

const one = (ctx: Context, what: string, command: string): string => {
  if (ctx.positionals.length !== 1)
    throw new UsageError(`${command} takes one ${what}${ctx.positionals.length ? `, got ${ctx.positionals.length}` : ""}`, command);
  return ctx.positionals[0]!;
};

/** Posts the question, then waits for its answer (or expiry) however long it takes; answer JSON on stdout. */
const ask: Command = {
  summary: "ask a person and wait for the answer",
  usage: `nod ask <question> [--approve | --options a,b,c [--danger c] | --form fields.json | --text] [options]

Posts <question> (markdown) with a review to the channel and waits until a person answers or it expires.
The answer is printed on stdout as JSON: {"status","messageId","channelId","response","feedback","respondedBy","resolution"}.

Kinds of review (one; --approve when none is given):
  --approve              Approve / Reject (Reject is styled danger)
  --options <a,b,c>      one of these options; the answer's selectedOption is the option as written
  --danger <option>      marks an option of --options as rejecting: picking it exits 1 (repeatable)
  --form <file.json>     a form: a JSON array of fields, or {"fields": [...], "submitLabel"?}; - reads stdin
  --text                 a free text answer: {"text": "…"}

Options:
  --timeout <duration>   the review expires after this long (90s, 15m, 2h, 1h30m; the server's default is 24h, its cap 36h)
  --assignee <person>    who may answer: an email or user id of the agent's members (repeatable)
  --quorum <n>           n identical votes decide (approval and --options only)
  --priority <level>     low | normal | high | urgent
  --attach <fileId>      attach a file stored with \`nod upload\` (repeatable)
  --client-id <key>      idempotency key: asking again with the same key (a re-run CI job) waits on the first
                         question instead of asking twice

Exit: 0 answered (approved, or any answer but a rejecting option), 1 rejected, 2 expired, 3 bad usage or input,
4 refused by the server (key, channel), 5 server unreachable.`,
  options: {
    approve: { type: "boolean" },
    options: { type: "string" },
    danger: { type: "string", multiple: true },
    form: { type: "string" },
    text: { type: "boolean" },
    timeout: { type: "string" },
    assignee: { type: "string", multiple: true },
    quorum: { type: "string" },
    priority: { type: "string" },
    attach: { type: "string", multiple: true },
    "client-id": { type: "string" },
  },
  async run(ctx) {
    const question = one(ctx, "question", "ask");
    const review = reviewFromFlags(ctx.values as ReviewFlags);
    const nod = ctx.client();
    const attach = ctx.values.attach as string[] | undefined;
    const message = await nod.send({
      text: question,
      review,
      clientId: (ctx.values["client-id"] as string | undefined) ?? randomUUID(),
      ...(attach?.length ? { attachmentIds: attach } : {}),
    });
    ctx.progress.say(`nod: asked (message ${message.id} in channel ${message.channelId})`);
    return waitAndPrint(ctx, nod, message.id, message.channelId);
  },
};

const wait: Command = {
  summary: "wait for the answer to a review asked earlier",
  usage: `nod wait <messageId>

Waits for the answer to a review sent earlier (by \`nod ask\`, the client or the API) and prints it as \`nod ask\`
does, with the same exit codes.`,
  options: {},
  async run(ctx) {
    const nod = ctx.client();
    return waitAndPrint(ctx, nod, one(ctx, "message id", "wait"), nod.channelId);
  },
};

async function waitAndPrint(ctx: Context, nod: NodClient, messageId: string, channelId: string | undefined): Promise<ExitCode> {
  ctx.progress.waiting("nod: waiting for an answer…");
  let settled: { status: "completed" | "expired"; message: Message };
  try {
    const { message } = await nod.wait(messageId, channelId ? { channelId } : {});
    settled = { status: "completed", message };
  } catch (err) {
    if (!(err instanceof ReviewExpiredError)) throw err;
    settled = { status: "expired", message: err.expired };
  } finally {
    ctx.progress.stop();
  }
  const { outcome, exit } = outcomeOf(settled.status, settled.message);
  ctx.progress.say(
    outcome.status === "expired"
      ? "nod: the review expired without an answer"
      : `nod: answered${outcome.respondedBy ? ` by ${outcome.respondedBy.displayName}` : ""}${exit === EXIT.rejected ? " (rejected)" : ""}`,
  );
  ctx.print(outcome, JSON.stringify(outcome));
  return exit;
}

const send: Command = {
  summary: "post a message (no answer needed)",
  usage: `nod send <text> [--file <path>]... [--status info|success|warning|error]

Posts <text> (markdown) to the channel, with the files given by --file attached. Prints the message id
(the whole message with --json).`,
  options: { file: { type: "string", multiple: true }, attach: { type: "string", multiple: true }, status: { type: "string" } },
  async run(ctx) {
    const text = one(ctx, "text", "send");
    const nod = ctx.client();
    const uploaded = [];
    for (const path of (ctx.values.file as string[] | undefined) ?? []) uploaded.push(await nod.upload(readFile(path, "send"), { filename: basename(path) }));
    const attachmentIds = [...uploaded.map((f) => f.id), ...((ctx.values.attach as string[] | undefined) ?? [])];
    const message = await nod.send({
      text,
      clientId: randomUUID(),
      ...(attachmentIds.length ? { attachmentIds } : {}),
      ...(ctx.values.status ? { status: ctx.values.status as "info" } : {}),
    });
    ctx.print(message, message.id);
    return EXIT.ok;
  },
};

const upload: Command = {
  summary: "store a file for a later message",
  usage: `nod upload <path>

Stores the file in the channel, unattached, and prints its id (the whole file with --json). Attach it within
24 hours with \`nod send --attach <id>\` or \`nod ask --attach <id>\`; \`nod send --file <path>\` does both at once.`,
  options: {},
  async run(ctx) {
    const path = one(ctx, "path", "upload");
    const file = await ctx.client().upload(readFile(path, "upload"), { filename: basename(path) });
    ctx.print(file, file.id);
    return EXIT.ok;
  },
};

const ping: Command = {
  summary: "report the agent's status (heartbeat)",
  usage: `nod ping [--status active|busy|error|offline] [--message <text>]

Reports the channel's agent status (default active), shown in the web app; prints the agent with --json.`,
  options: { status: { type: "string" }, message: { type: "string" } },
  async run(ctx) {
    if (ctx.positionals.length) throw new UsageError(`ping takes no arguments, got ${ctx.positionals[0]}`, "ping");
    const status = (ctx.values.status as string | undefined) ?? "active";
    if (!(AGENT_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${AGENT_STATUSES.join(", ")}`, "ping");
    const message = ctx.values.message as string | undefined;
    const agent = await ctx.client().ping(status as AgentStatus, message === undefined ? {} : { message });
    ctx.print(agent, `${agent.name}: ${agent.status}${agent.statusMessage ? ` (${agent.statusMessage})` : ""}`);
    return EXIT.ok;
  },
};

const pending: Command = {
  summary: "list the reviews still unanswered",
  usage: `nod pending

Lists the reviews nobody has answered yet (the channel's, or every channel's of the key without one), newest
first: one line each (id, type, expiry, text), or a JSON array with --json.`,
  options: {},
  async run(ctx) {
    const reviews = await ctx.client().pending();
    const lines = reviews.map((m) => [m.id, m.review?.type ?? "", m.review?.expiresAt ?? "", oneLine(m.text ?? "")].join("\t"));
    ctx.print(reviews, lines.join("\n"));
    return EXIT.ok;
  },
};

const channels: Command = {
  summary: "list the channels (agents) the key can use",
  usage: `nod channels

Lists the channels (agents) the API key can use: one line each (id, name, status), or a JSON array with --json.`,
  options: {},
  async run(ctx) {
    const agents = await ctx.client().channels();
    ctx.print(agents, agents.map((a) => [a.id, a.name, a.status].join("\t")).join("\n"));
    return EXIT.ok;
  },
};

export const COMMANDS: Record<string, Command> = { ask, wait, send, upload, ping, pending, channels };

function readFile(path: string, command: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`, command);
  }
}

const oneLine = (text: string) => (text.length > 80 ? `${text.slice(0, 79)}…` : text).replace(/\s+/g, " ");
