// Nod's typed client for agents: ask a person and get the typed answer back, send messages, upload files,
// report status, and follow a channel live over Socket.IO. It needs nothing but `fetch` at run time: the
// request types come from the server's own zod schemas through type-only imports, which compile away.
import type { AgentDto, ErrorDto, FieldErrorDto, IterationChainDto, MessageDto, ReviewDto, StoredFileDto, WaitDto } from "../../contract/dto";
import type { AgentStatus } from "../../contract/enums";
import type { ChannelEventListeners, ChannelEventName, ChannelEvents, SubscribeManyAck } from "../../contract/events";
import type { LIMITS } from "../../contract/limits";
import type { SubscribeArg } from "../../contract/requests/socket";
import type {
  AgentCommandsInput,
  MessageBodyInput,
  ReviewRequestInput,
  SetTagInput,
  SetWebhookInput,
  StatusPingInput,
  StoreTextInput,
  StreamDeltaInput,
  StreamProgressInput,
  StreamUpdateInput,
} from "./requests";

/** Channels per `subscribe:channels`: the contract's limit, checked by the compiler (the build imports nothing at run time). */
const CHANNELS_PER_SUBSCRIBE: (typeof LIMITS)["channelsPerSubscribe"] = 1000;

export type { AgentStatus, DeliveryStatus, FormFieldType, MessageStatus } from "../../contract/enums";

// ---- request types (from the server's zod schemas) ---------------------------------------------

/** Everything readonly, so `as const` literals (and `const` inference) are accepted. */
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A review to ask for: `{type, payload, expiresInSeconds?, expiresAt?, callback?}`, one of the five types. */
export type ReviewRequest = DeepReadonly<ReviewRequestInput>;
export type ReviewType = ReviewRequest["type"];

type MessageBody = DeepReadonly<MessageBodyInput>;
/** `POST /api/v1/messages`: text, status, metadata, attachmentIds, webhookUrl, clientId, and maybe a review. */
export type SendMessage = MessageBody & { review?: ReviewRequest };
/** A message that asks for a review. */
export type AskRequest<R extends ReviewRequest = ReviewRequest> = MessageBody & { review: R };
export type StatusPing = StatusPingInput;
export type SetTag = SetTagInput;
export type SetWebhook = SetWebhookInput;
export type StoreText = StoreTextInput;
export type StreamUpdate = StreamUpdateInput;
/** A live token of a streamed reply, emitted on the socket (`Subscription.delta`). */
export type StreamDelta = StreamDeltaInput;
/** What the agent is doing right now, emitted on the socket (`Subscription.progress`). */
export type StreamProgress = StreamProgressInput;
/** `PUT /api/v1/agents/:id/commands`: `[{command, description, acceptsArgs?, argHint?}]`. */
export type AgentCommands = DeepReadonly<AgentCommandsInput>;

// ---- answers, typed by the review that was asked -------------------------------------------------

export interface ApprovalAnswer<Id extends string = string> {
  selectedOption: Id;
  comment?: string;
}
export interface SelectionAnswer<Id extends string = string> {
  selectedIds: Id[];
}
export interface TextAnswer {
  text: string;
}
export type FreeformAnswer = Record<string, unknown>;

type IdsOf<T> = T extends readonly { id: infer I extends string }[] ? I : string;
type FieldName<F> = F extends { name: infer N extends string } ? N : never;
type FieldValue<F> = F extends { type: "number" | "range" }
  ? number
  : F extends { type: "checkbox" }
    ? boolean
    : F extends { type: "select"; options: readonly { value: infer V extends string }[] }
      ? V
      : string;
/** A form's answer: required fields present, the others optional; numbers, booleans, select values typed. */
export type FormAnswer<Fields extends readonly unknown[] = readonly unknown[]> = {
  [F in Fields[number] as F extends { required: true } ? FieldName<F> : never]: FieldValue<F>;
} & {
  [F in Fields[number] as F extends { required: true } ? never : FieldName<F>]?: FieldValue<F>;
};

/** The answer a review gets: `ask({review: {type: "approval", payload: {options: [{id: "go"}, …]}}})` gives `{selectedOption: "go" | …}`. */
export type AnswerOf<R> = R extends { type: "approval"; payload: { options: infer O } }
  ? ApprovalAnswer<IdsOf<O>>
  : R extends { type: "selection"; payload: { items: infer I } }
    ? SelectionAnswer<IdsOf<I>>
    : R extends { type: "form"; payload: { fields: infer F extends readonly unknown[] } }
      ? FormAnswer<F>
      : R extends { type: "text-input" }
        ? TextAnswer
        : FreeformAnswer;

// ---- what the server answers (the server's own DTO types, from contract/dto.ts) -------------------------

export type { AttachmentDto as Attachment, StoredFileDto as StoredFile } from "../../contract/dto";
/** The server's review, with the answer typed by the review asked. */
export type Review<Answer = Record<string, unknown>> = Omit<ReviewDto, "response"> & { response: Answer | null };
export type Message<Answer = Record<string, unknown>> = Omit<MessageDto, "review"> & { review: Review<Answer> | null };
export type Agent = AgentDto;

// ---- errors -------------------------------------------------------------------------------------

/** The server refused a request: its status, message and each field problem (docs/api.md, "Errors"). */
export class NodError extends Error {
  override readonly name = "NodError";
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldErrorDto[] = [],
    /** Seconds to wait before retrying, from `Retry-After` (429). */
    readonly retryAfter?: number,
  ) {
    super(`${message} (HTTP ${status})`);
  }
}

/** The review expired before anyone answered it; no answer will come. */
export class ReviewExpiredError extends Error {
  override readonly name = "ReviewExpiredError";
  readonly messageId: string;
  constructor(readonly expired: Message) {
    super(`Review ${expired.id} expired at ${expired.review?.expiresAt ?? "its expiry time"} without an answer`);
    this.messageId = expired.id;
  }
}

// ---- live events ----------------------------------------------------------------------------------

/** A handler per live event of a channel, each taking the payload the server sends (contract/events.ts). */
export type NodEvents = ChannelEventListeners;
export type { ChannelEvents };

/** The events `subscribe` hands straight to the caller's handlers (message:created also records its seq).
 * A record over the contract's names, so an event added there does not compile until it is listed here. */
const FORWARDED: Record<Exclude<ChannelEventName, "message:created">, true> = {
  "message:deleted": true,
  "review:responded": true,
  "review:expired": true,
  "message:delivery": true,
  "agent:status": true,
  "message:updated": true,
  "message:delta": true,
  "message:progress": true,
  "agent:commands": true,
};

/** The part of a socket.io-client Socket the helper uses. */
export interface SocketLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(): unknown;
}
/** socket.io-client's `io`, passed in by the caller so this client does not depend on it. */
export type IoFunction = (url: string, options: { auth: { apiKey: string }; transports?: string[] }) => SocketLike;

export interface Subscription {
  socket: SocketLike;
  /** Resolves once every channel is subscribed (the first time); rejects if one is refused. */
  ready: Promise<void>;
  /** Sends live tokens of a streamed reply to the channel's sockets (never stored: PATCH the draft too). */
  delta(event: StreamDelta): void;
  /** Tells the channel's sockets what the agent is doing ("Searching the docs"); never stored. */
  progress(event: StreamProgress): void;
  close(): void;
}

// ---- the client -----------------------------------------------------------------------------------

export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface NodClientOptions {
  /** The server, e.g. `https://nod.example.com`. */
  url: string;
  /** An API key (`hp_…`). */
  apiKey: string;
  /** The default channel (agent id); may be left out when the key is scoped to one agent. */
  channelId?: string;
  /** Another fetch (a proxy, a test harness); the global one by default. */
  fetch?: FetchFunction;
  /** How long each long-poll lasts, in ms (the server caps it at 30 000). */
  pollTimeoutMs?: number;
  /** How many failed requests in a row (network, 429, 5xx) ask/wait retry before giving up. */
  retries?: number;
  /** Told before each retry: what failed, how many failed in a row so far, and how long until the next try. */
  onRetry?: (error: unknown, failures: number, delayMs: number) => void;
}

interface RequestOptions {
  json?: unknown;
  form?: FormData;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });

/** Worth another try: the network failed, or the server is busy or briefly broken. */
const retryable = (err: unknown) => (err instanceof NodError ? err.status === 429 || err.status >= 500 : err instanceof TypeError);

export class NodClient {
  readonly url: string;
  readonly channelId: string | undefined;
  private readonly apiKey: string;
  private readonly fetchFn: FetchFunction;
  private readonly pollTimeoutMs: number;
  private readonly retries: number;
  private readonly onRetry: NodClientOptions["onRetry"];

  constructor(options: NodClientOptions) {
    if (!options.url) throw new TypeError("NodClient needs a url");
    if (!options.apiKey) throw new TypeError("NodClient needs an apiKey");
    this.url = options.url.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.channelId = options.channelId;
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.pollTimeoutMs = options.pollTimeoutMs ?? 30_000;
    this.retries = options.retries ?? 5;
    this.onRetry = options.onRetry;
  }

  /** One call to the agent API; a non-2xx answer throws a NodError. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.url}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { "x-api-key": this.apiKey, accept: "application/json" };
    let body: RequestInit["body"]; // not BodyInit: Node's own types (no DOM lib) lack that name
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const res = await this.fetchFn(url.toString(), { method, headers, body, ...(options.signal ? { signal: options.signal } : {}) });
    const text = await res.text();
    let data: (Partial<ErrorDto> & Record<string, unknown>) | undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const retryAfter = Number(res.headers.get("retry-after"));
      throw new NodError(res.status, data?.message ?? (text.slice(0, 200) || res.statusText), data?.errors ?? [], retryAfter > 0 ? retryAfter : undefined);
    }
    return data as T;
  }

  /** Runs `attempt` again after network errors, 429 (honouring Retry-After) and 5xx, with backoff. */
  private async retrying<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await attempt();
      } catch (err) {
        if (signal?.aborted || !retryable(err) || failures >= this.retries) throw err;
        const wait = err instanceof NodError && err.retryAfter ? err.retryAfter * 1000 : Math.min(500 * 2 ** failures, 15_000);
        this.onRetry?.(err, failures + 1, wait);
        await sleep(wait, signal);
      }
    }
  }

  private channel(channelId: string | undefined) {
    return channelId ?? this.channelId;
  }

  /** The channel of a request that names its agent (the agent-management routes have no default). */
  private requireChannel(channelId: string | undefined): string {
    const id = this.channel(channelId);
    if (!id) throw new TypeError("pass channelId, or set channelId in the client's options");
    return id;
  }

  /** Posts a message (with or without a review) and returns it as stored. */
  send(message: SendMessage, options: { signal?: AbortSignal } = {}): Promise<Message> {
    const body = { ...message, channelId: this.channel(message.channelId) };
    const post = () => this.request<Message>("POST", "/api/v1/messages", { json: body, ...options });
    // With a clientId a retried post cannot create a second message, so it is safe to retry.
    return body.clientId ? this.retrying(post, options.signal) : post();
  }

  /**
   * Asks the person and resolves with their answer, typed by the review: sends the message, then long-polls
   * until it is answered. Rejects with ReviewExpiredError if it expires first, or when `signal` aborts.
   */
  async ask<const R extends ReviewRequest>(request: AskRequest<R>, options: { signal?: AbortSignal } = {}): Promise<AnswerOf<R>> {
    const message = await this.send({ ...request, clientId: request.clientId ?? crypto.randomUUID() }, options);
    const { response } = await this.wait<AnswerOf<R>>(message.id, { channelId: message.channelId, ...options });
    return response;
  }

  /** Waits for the answer to a review already sent, however long it takes (each poll lasts up to 30 s). */
  async wait<Answer = Record<string, unknown>>(
    messageId: string,
    options: { channelId?: string; signal?: AbortSignal } = {},
  ): Promise<{ response: Answer; message: Message<Answer> }> {
    const path = `/api/v1/reviews/${encodeURIComponent(messageId)}/wait`;
    const query = { channel: this.channel(options.channelId), timeout: this.pollTimeoutMs };
    for (;;) {
      options.signal?.throwIfAborted();
      const result = await this.retrying(
        () => this.request<WaitDto<Message<Answer>>>("GET", path, { query, ...(options.signal ? { signal: options.signal } : {}) }),
        options.signal,
      );
      if (result.status === "completed") return { response: result.message.review!.response as Answer, message: result.message };
      if (result.status === "expired") throw new ReviewExpiredError(result.message as Message);
      // "timeout" (or "pending", as some servers say): nobody answered yet, poll again.
    }
  }

  /**
   * Starts a streamed reply: posts a draft (`streamState: "streaming"`) that people see grow. Safe to retry:
   * the same `streamId` returns the same draft. Grow it with `updateStream`, finish it with `completeStream`;
   * a draft left 10 minutes without an update is completed as it stands.
   */
  startStream(
    streamId: string,
    text = "",
    options: Omit<SendMessage, "streamId" | "streamState" | "text" | "review"> & { signal?: AbortSignal } = {},
  ): Promise<Message> {
    const { signal, ...message } = options;
    return this.retrying(
      () =>
        this.request<Message>("POST", "/api/v1/messages", {
          json: { ...message, channelId: this.channel(message.channelId), streamId, streamState: "streaming", text },
          ...(signal ? { signal } : {}),
        }),
      signal,
    );
  }

  /** Replaces a draft's text with the whole text so far (not a delta); returns the draft. */
  updateStream(streamId: string, text: string, options: { channelId?: string; complete?: boolean; signal?: AbortSignal } = {}): Promise<Message> {
    const body: StreamUpdate = { channelId: this.channel(options.channelId), text, ...(options.complete ? { complete: true } : {}) };
    const path = `/api/v1/messages/streams/${encodeURIComponent(streamId)}`;
    return this.request<Message>("PATCH", path, { json: body, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** Finishes a draft with its final text (`streamState: "complete"`); later updates get 409. */
  completeStream(streamId: string, text: string, options: { channelId?: string; signal?: AbortSignal } = {}): Promise<Message> {
    return this.updateStream(streamId, text, { ...options, complete: true });
  }

  /** Stores a file in the channel; attach it with `send({attachmentIds: [file.id]})` or `ask`. */
  upload(
    file: Blob | ArrayBuffer | Uint8Array | string,
    options: { filename: string; mimeType?: string; channelId?: string; signal?: AbortSignal },
  ): Promise<StoredFileDto> {
    const type = options.mimeType ?? (file instanceof Blob && file.type ? file.type : "application/octet-stream");
    const blob = file instanceof Blob && !options.mimeType ? file : new Blob([file as ArrayBuffer], { type }) /* any of the four is a valid blob part */;
    const form = new FormData();
    form.append("file", blob, options.filename);
    const channelId = this.channel(options.channelId);
    if (channelId) form.append("channelId", channelId);
    return this.request<StoredFileDto>("POST", "/api/v1/files/store", { form, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /**
   * Stores text as a file of the channel (`content.md`, text/markdown unless told), with its `textContent`;
   * attach it like an upload. To post text files with a message at once, `send({textAttachments})`.
   */
  storeText(content: string, options: Omit<StoreText, "content"> & { signal?: AbortSignal } = {}): Promise<StoredFileDto> {
    const { signal, ...fields } = options;
    const body: StoreText = { ...fields, content, channelId: this.channel(options.channelId) };
    return this.request<StoredFileDto>("POST", "/api/v1/files/store-text", { json: body, ...(signal ? { signal } : {}) });
  }

  /** The channel's files, attached or not, newest first (at most `limit`, itself at most 100). */
  files(options: { channelId?: string; limit?: number } = {}): Promise<StoredFileDto[]> {
    return this.request<StoredFileDto[]>("GET", "/api/v1/files", { query: { channel: this.channel(options.channelId), limit: options.limit } });
  }

  /** Reports the agent's status (the heartbeat); returns the agent. */
  ping(status: AgentStatus, options: { message?: string | null; agentId?: string } = {}): Promise<Agent> {
    const body: StatusPing = { status, agentId: options.agentId ?? this.channelId, message: options.message };
    return this.request<Agent>("POST", "/api/v1/status/ping", { json: body });
  }

  /** The channels (agents) this key can use. */
  channels(): Promise<Agent[]> {
    return this.request<Agent[]>("GET", "/api/v1/agents");
  }

  /** Reviews still waiting for an answer, newest first (this channel, or every channel of the key). */
  pending(channelId?: string): Promise<Message[]> {
    return this.request<Message[]>("GET", "/api/v1/reviews/pending", { query: { channel: this.channel(channelId) } });
  }

  /**
   * The iteration chain of a message (any of its ids): every version sent with `iterationOf`, by iteration,
   * each with its answer and the person's `review.feedback`. A message outside any chain is a chain of one.
   */
  iterations(messageId: string, options: { channelId?: string } = {}): Promise<Omit<IterationChainDto, "iterations"> & { iterations: Message[] }> {
    return this.request("GET", `/api/v1/messages/iterations/${encodeURIComponent(messageId)}`, { query: { channel: this.channel(options.channelId) } });
  }

  /** Sets the agent's tag, its group in the web app's sidebar (null or "" removes it); returns the agent. */
  setTag(tag: string | null, options: { channelId?: string } = {}): Promise<Agent> {
    const body: SetTag = { channelId: this.requireChannel(options.channelId), tag };
    return this.request<Agent>("POST", "/api/v1/agents/setTag", { json: body });
  }

  /**
   * Replaces the agent's webhook: every delivery to `url` carries `headers` and, with `auth`, HTTP basic
   * auth (the password is never shown again). Returns the agent.
   */
  setWebhook(url: string, options: Omit<SetWebhook, "channelId" | "url"> & { channelId?: string } = {}): Promise<Agent> {
    const { channelId, ...rest } = options;
    const body: SetWebhook = { channelId: this.requireChannel(channelId), url, ...rest };
    return this.request<Agent>("POST", "/api/v1/agents/setWebhook", { json: body });
  }

  /** Removes the agent's webhook with its headers and auth; returns the agent. */
  deleteWebhook(options: { channelId?: string } = {}): Promise<Agent> {
    return this.request<Agent>("POST", "/api/v1/agents/deleteWebhook", { json: { channelId: this.requireChannel(options.channelId) } });
  }

  /**
   * Replaces the agent's slash commands (the whole list; `[]` removes them all). People pick them in the
   * composer; a picked command reaches the agent as the person's message with `metadata: {command, args}`
   * (`args` "" when none). Subscribers get `agent:commands`. Returns the agent.
   */
  setCommands(agentId: string, commands: AgentCommands): Promise<Agent> {
    return this.request<Agent>("PUT", `/api/v1/agents/${encodeURIComponent(agentId)}/commands`, { json: commands });
  }

  /**
   * Follows channels live over Socket.IO. Pass socket.io-client's `io`. Subscriptions are renewed after a
   * reconnect, asking the server to replay the messages created meanwhile.
   */
  subscribe(io: IoFunction, options: { channels?: string[]; on: Partial<NodEvents>; onError?: (error: Error) => void; transports?: string[] }): Subscription {
    const channels = options.channels ?? (this.channelId ? [this.channelId] : []);
    if (channels.length === 0) throw new TypeError("subscribe needs channels, or a channelId in the client's options");
    const socket = io(`${this.url}/ws`, { auth: { apiKey: this.apiKey }, ...(options.transports ? { transports: options.transports } : {}) });
    const lastSeq = new Map<string, number>();
    const onError = options.onError ?? (() => {});
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    ready.catch(() => {}); // a caller that never awaits it still gets onError

    // One subscribe:channels per 1,000 channels (one access check on the server), each with what it missed.
    socket.on("connect", () => {
      const chunks: SubscribeArg[][] = [];
      for (let i = 0; i < channels.length; i += CHANNELS_PER_SUBSCRIBE) {
        chunks.push(
          channels.slice(i, i + CHANNELS_PER_SUBSCRIBE).map((channelId) => {
            const after = lastSeq.get(channelId);
            return after === undefined ? channelId : { channelId, after };
          }),
        );
      }
      let left = chunks.length;
      for (const chunk of chunks) {
        socket.emit("subscribe:channels", chunk, (ack: SubscribeManyAck | undefined) => {
          const refused = ack?.ok ? (ack.refused ?? []) : chunk.map((c) => (typeof c === "string" ? c : c.channelId));
          if (refused.length) {
            const err = new Error(`Channel ${refused.join(", ")} was refused: it does not exist or the key may not use it`);
            settle?.reject(err);
            onError(err);
          } else if (--left === 0) {
            settle?.resolve();
          }
        });
      }
    });
    socket.on("connect_error", (err: Error) => {
      settle?.reject(err);
      onError(err);
    });
    socket.on("message:created", (message: ChannelEvents["message:created"]) => {
      lastSeq.set(message.channelId, Math.max(message.seq, lastSeq.get(message.channelId) ?? 0));
      options.on["message:created"]?.(message);
    });
    for (const name of Object.keys(FORWARDED) as (keyof typeof FORWARDED)[]) {
      const handler = options.on[name] as ((arg: unknown) => void) | undefined;
      if (handler) socket.on(name, handler);
    }
    return {
      socket,
      ready,
      delta: (event) => socket.emit("message:delta", event),
      progress: (event) => socket.emit("message:progress", event),
      close: () => socket.disconnect(),
    };
  }
}
