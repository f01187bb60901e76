// The framework adapters (@nod/client/ai-sdk, /openai-agents, /langgraph) against the real server (wrangler dev),
// each with the framework's real package and its own kind of fake model (no network, no API key): a run stops at
// a tool call that needs approval, the adapter posts a Nod review, the test plays the person through the user API
// (reads the pending review, answers it as the owner), and the run finishes with the tool's result for the input
// the person approved (edited, for the AI SDK and LangGraph), or ends with the person's reason for a rejection.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Annotation, END, MemorySaver, START, StateGraph, interrupt } from "@langchain/langgraph";
import { Agent, type Model, type ModelRequest, type ModelResponse, setTracingDisabled, tool as agentTool, Usage } from "@openai/agents";
import { jsonSchema, type ModelMessage, streamText, tool } from "ai";
import { MockLanguageModelV3, simulateReadableStream } from "ai/test";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { generateTextWithNod, resolveToolApprovals } from "../../client/src/adapters/ai-sdk";
import { askInterrupts, type InterruptDecision, invokeWithNod, resumeFromWebhook } from "../../client/src/adapters/langgraph";
import { runWithNod } from "../../client/src/adapters/openai-agents";
import { NodClient } from "../../client/src/index";
import { sleep } from "../common";
import { asOwner, newAgent, nodUrl } from "./helpers";

setTracingDisabled(true);

interface Pending {
  id: string;
  text: string | null;
  metadata: Record<string, unknown> | null;
  review: { type: string; payload: { fields?: { name: string; type: string; default?: unknown; required?: boolean }[]; options?: { id: string }[] } };
}

/** Plays the person: waits for the channel's pending review, hands it to `answer`, and posts what it returns. */
async function answerNext(channelId: string, answer: (review: Pending) => { response: unknown; feedback?: string }) {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const inbox = await asOwner("GET", `/api/reviews?status=pending&channel=${channelId}`);
    const msg = inbox.json.data[0] as Pending | undefined;
    if (msg) {
      const posted = await asOwner("POST", `/api/messages/${msg.id}/respond`, answer(msg));
      expect(posted.status).toBe(200);
      return msg;
    }
    await sleep(50);
  }
  throw new Error("no pending review within 30 s");
}

async function client(name: string) {
  const { channelId, apiKey } = await newAgent(name);
  return { channelId, nod: new NodClient({ url: nodUrl(), apiKey, channelId }) };
}

const REFUND_INPUT = { orderId: "A-1", amount: 120, notify: true };

/** The form's fields a tool call with REFUND_INPUT shows: one per value, each starting at the model's value. */
const REFUND_FIELDS = [
  { name: "orderId", type: "text", default: "A-1" },
  { name: "amount", type: "number", default: 120, required: true },
  { name: "notify", type: "checkbox", default: true },
];

// ---- Vercel AI SDK ----------------------------------------------------------------------------------

describe("@nod/client/ai-sdk (ai 6, needsApproval)", () => {
  /** A model that calls `refund` first, then says what the tool answered (or that it was denied, and why). */
  function refundModel() {
    return new MockLanguageModelV3({
      doGenerate: async ({ prompt }) => {
        const usage = {
          inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 1, text: 1, reasoning: undefined },
        };
        const last = prompt.at(-1)!;
        const result = last.role === "tool" ? last.content.find((p) => p.type === "tool-result") : undefined;
        if (!result) {
          return {
            content: [{ type: "tool-call", toolCallId: "call-1", toolName: "refund", input: JSON.stringify(REFUND_INPUT) }],
            finishReason: { unified: "tool-calls", raw: "tool_calls" },
            usage,
            warnings: [],
          };
        }
        const out = result.output;
        const text = out.type === "execution-denied" ? `Not refunded: ${out.reason}` : `Done: ${out.type === "json" || out.type === "text" ? out.value : "?"}`;
        return { content: [{ type: "text", text }], finishReason: { unified: "stop", raw: "stop" }, usage, warnings: [] };
      },
    });
  }

  function refundTool(calls: unknown[]) {
    return tool({
      description: "Refunds an order",
      inputSchema: jsonSchema<{ orderId: string; amount: number; notify: boolean }>({
        type: "object",
        properties: { orderId: { type: "string" }, amount: { type: "number" }, notify: { type: "boolean" } },
        required: ["orderId", "amount", "notify"],
        additionalProperties: false,
      }),
      needsApproval: true,
      execute: async (input) => {
        calls.push(input);
        return `refunded ${input.amount} on ${input.orderId}${input.notify ? " (customer told)" : ""}`;
      },
    });
  }

  it("pauses on the tool call, the person approves an edited input, and the run finishes with the tool's result for it", async () => {
    const { channelId, nod } = await client("AI SDK approve");
    const calls: unknown[] = [];
    const running = generateTextWithNod(nod, { model: refundModel(), tools: { refund: refundTool(calls) }, prompt: "Refund order A-1" });
    const asked = await answerNext(channelId, () => ({ response: { orderId: "A-1", amount: 80, notify: false } }));
    // What the person saw: the tool's name, its input as a JSON code block, a form of its values.
    expect(asked.text).toContain("**refund**");
    expect(asked.text).toContain('```json\n{\n  "orderId": "A-1",\n  "amount": 120,\n  "notify": true\n}\n```');
    expect(asked.review.type).toBe("form");
    expect(asked.review.payload).toMatchObject({ submitLabel: "Approve", dismissLabel: "Reject", fields: REFUND_FIELDS });
    expect(asked.metadata).toMatchObject({ toolName: "refund" });

    const result = await running;
    expect(calls).toEqual([{ orderId: "A-1", amount: 80, notify: false }]);
    expect(result.text).toBe("Done: refunded 80 on A-1");
    expect(result.decisions).toHaveLength(1);
    expect(result.decisions[0]).toMatchObject({ approved: true, edited: true, toolName: "refund", input: { orderId: "A-1", amount: 80, notify: false } });
    // The conversation to continue from holds the edited call and its result.
    expect(JSON.stringify(result.messages)).toContain('"amount":80');
  });

  it("a rejection ends the run with the person's reason, and the tool never runs", async () => {
    const { channelId, nod } = await client("AI SDK reject");
    const calls: unknown[] = [];
    const running = generateTextWithNod(nod, { model: refundModel(), tools: { refund: refundTool(calls) }, prompt: "Refund order A-1" });
    await answerNext(channelId, () => ({ response: { _dismissed: true }, feedback: "Over the limit: ask finance first" }));
    const result = await running;
    expect(calls).toEqual([]);
    expect(result.text).toBe("Not refunded: Over the limit: ask finance first");
    expect(result.decisions[0]).toMatchObject({ approved: false, reason: "Over the limit: ask finance first" });
  });

  it("streamText, with your own loop: resolveToolApprovals awaits the stream's result and gives the messages to go on with", async () => {
    const { channelId, nod } = await client("AI SDK stream");
    const calls: unknown[] = [];
    const usage = {
      inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 1, text: 1, reasoning: undefined },
    };
    const model = new MockLanguageModelV3({
      doStream: async ({ prompt }) => {
        const last = prompt.at(-1)!;
        const result = last.role === "tool" ? last.content.find((p) => p.type === "tool-result") : undefined;
        const chunks = result
          ? [
              { type: "text-start" as const, id: "t" },
              { type: "text-delta" as const, id: "t", delta: `Streamed: ${result.output.type === "text" ? result.output.value : "?"}` },
              { type: "text-end" as const, id: "t" },
              { type: "finish" as const, finishReason: { unified: "stop" as const, raw: "stop" }, usage },
            ]
          : [
              { type: "tool-call" as const, toolCallId: "call-s", toolName: "refund", input: JSON.stringify(REFUND_INPUT) },
              { type: "finish" as const, finishReason: { unified: "tool-calls" as const, raw: "tool_calls" }, usage },
            ];
        return { stream: simulateReadableStream({ chunks: [{ type: "stream-start" as const, warnings: [] }, ...chunks] }) };
      },
    });
    const tools = { refund: refundTool(calls) };
    const history: ModelMessage[] = [{ role: "user", content: "Refund order A-1" }];
    const first = streamText({ model, tools, messages: history });
    const answering = answerNext(channelId, () => ({ response: { orderId: "A-9", amount: 5, notify: true } }));
    const { messages, decisions } = await resolveToolApprovals(nod, first);
    await answering;
    expect(decisions).toMatchObject([{ approved: true, edited: true, input: { orderId: "A-9", amount: 5, notify: true } }]);
    const second = streamText({ model, tools, messages: [...history, ...messages] });
    expect(await second.text).toBe("Streamed: refunded 5 on A-9 (customer told)");
    expect(calls).toEqual([{ orderId: "A-9", amount: 5, notify: true }]);
  });

  it("a review that expires unanswered is a rejection the model hears about", async () => {
    const { nod } = await client("AI SDK expiry");
    const calls: unknown[] = [];
    const result = await generateTextWithNod(nod, {
      model: refundModel(),
      tools: { refund: refundTool(calls) },
      prompt: "Refund order A-1",
      nod: { expiresInSeconds: 1 },
    });
    expect(calls).toEqual([]);
    expect(result.text).toBe("Not refunded: No one answered before the review expired.");
    expect(result.decisions[0]).toMatchObject({ approved: false, expired: true });
  });

  it("unchanged values approve the model's input as it was", async () => {
    const { channelId, nod } = await client("AI SDK as is");
    const calls: unknown[] = [];
    const running = generateTextWithNod(nod, { model: refundModel(), tools: { refund: refundTool(calls) }, prompt: "Refund order A-1" });
    await answerNext(channelId, () => ({ response: REFUND_INPUT }));
    const result = await running;
    expect(calls).toEqual([REFUND_INPUT]);
    expect(result.text).toBe("Done: refunded 120 on A-1 (customer told)");
    expect(result.decisions[0]).toMatchObject({ approved: true, edited: false });
  });
});

// ---- OpenAI Agents SDK --------------------------------------------------------------------------------

describe("@nod/client/openai-agents (@openai/agents 0.14, needsApproval)", () => {
  /** A model (the SDK's Model interface) that calls `refund`, then reports the tool's output as its final answer. */
  class RefundModel implements Model {
    /** The function calls the model was shown back, as the history carried them. */
    readonly seenCalls: unknown[] = [];
    async getResponse(request: ModelRequest): Promise<ModelResponse> {
      const items = typeof request.input === "string" ? [] : request.input;
      for (const i of items) if (i.type === "function_call") this.seenCalls.push(JSON.parse(i.arguments));
      const result = items.find((i) => i.type === "function_call_result") as { output: unknown } | undefined;
      if (!result) {
        return {
          usage: new Usage(),
          output: [
            { type: "function_call", callId: "call-1", name: "refund", arguments: JSON.stringify({ orderId: "A-1", amount: 120 }), status: "completed" },
          ],
        };
      }
      const out = result.output as string | { text?: string };
      const text = typeof out === "string" ? out : (out.text ?? JSON.stringify(out));
      return {
        usage: new Usage(),
        output: [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: `Final: ${text}` }] }],
      };
    }
    // biome-ignore lint/correctness/useYield: never streamed in these tests
    async *getStreamedResponse(): AsyncIterable<never> {
      throw new Error("not streamed");
    }
  }

  function refundAgent(calls: unknown[], model = new RefundModel()) {
    const refund = agentTool({
      name: "refund",
      description: "Refunds an order",
      parameters: z.object({ orderId: z.string(), amount: z.number() }),
      needsApproval: true,
      execute: async (input) => {
        calls.push(input);
        return `refunded ${input.amount} on ${input.orderId}`;
      },
    });
    return new Agent({ name: "Refunds", instructions: "Refund what is asked", model, tools: [refund] });
  }

  it("the run's tool-approval interruption becomes a Nod review; approved with an edited input, the run resumes and finishes with the tool's result for it", async () => {
    const { channelId, nod } = await client("Agents approve");
    const calls: unknown[] = [];
    const model = new RefundModel();
    const running = runWithNod(refundAgent(calls, model), "Refund order A-1", { nod });
    const asked = await answerNext(channelId, () => ({ response: { orderId: "A-1", amount: 60 } }));
    expect(asked.review.type).toBe("form");
    expect(asked.review.payload.fields).toMatchObject(REFUND_FIELDS.slice(0, 2));
    expect(asked.text).toContain("**refund**");
    expect(asked.text).toContain('```json\n{\n  "orderId": "A-1",\n  "amount": 120\n}\n```');
    expect(asked.metadata).toMatchObject({ toolName: "refund", toolCallId: "call-1" });

    const result = await running;
    expect(calls).toEqual([{ orderId: "A-1", amount: 60 }]);
    expect(result.interruptions ?? []).toEqual([]);
    expect(result.finalOutput).toBe("Final: refunded 60 on A-1");
    expect(result.decisions).toMatchObject([{ approved: true, edited: true, input: { orderId: "A-1", amount: 60 } }]);
    // The model is shown the call as it ran.
    expect(model.seenCalls.at(-1)).toEqual({ orderId: "A-1", amount: 60 });
  });

  it("a rejection reaches the model as the person's reason, and the run ends with it", async () => {
    const { channelId, nod } = await client("Agents reject");
    const calls: unknown[] = [];
    const running = runWithNod(refundAgent(calls), "Refund order A-1", { nod });
    await answerNext(channelId, () => ({ response: { _dismissed: true }, feedback: "Refunds are frozen today" }));
    const result = await running;
    expect(calls).toEqual([]);
    expect(result.finalOutput).toBe("Final: Refunds are frozen today");
    expect(result.decisions[0]).toMatchObject({ approved: false, reason: "Refunds are frozen today" });
  });

  it("edit: false asks Approve / Reject; a comment is the reason", async () => {
    const { channelId, nod } = await client("Agents no edit");
    const calls: unknown[] = [];
    const running = runWithNod(refundAgent(calls), "Refund order A-1", { nod, approval: { edit: false } });
    const asked = await answerNext(channelId, () => ({ response: { selectedOption: "reject", comment: "Not this customer" } }));
    expect(asked.review.type).toBe("approval");
    expect(asked.review.payload.options?.map((o) => o.id)).toEqual(["approve", "reject"]);
    const result = await running;
    expect(calls).toEqual([]);
    expect(result.finalOutput).toBe("Final: Not this customer");
  });
});

// ---- LangGraph ----------------------------------------------------------------------------------------

describe("@nod/client/langgraph (@langchain/langgraph 1.7, interrupt)", () => {
  const State = Annotation.Root({
    orderId: Annotation<string>,
    amount: Annotation<number>,
    result: Annotation<string>,
  });

  /** A graph whose one node asks (interrupt) before refunding, with the input the person approved. */
  function refundGraph(calls: unknown[]) {
    return new StateGraph(State)
      .addNode("refund", (state) => {
        const decision = interrupt({ toolName: "refund", input: { orderId: state.orderId, amount: state.amount } }) as InterruptDecision;
        if (!decision.approved) return { result: `refused: ${decision.reason}` };
        const input = decision.input as { orderId: string; amount: number };
        calls.push(input);
        return { result: `refunded ${input.amount} on ${input.orderId}` };
      })
      .addEdge(START, "refund")
      .addEdge("refund", END)
      .compile({ checkpointer: new MemorySaver() });
  }

  it("long-poll: the interrupt becomes a Nod review, the person edits and approves, the graph resumes with Command({resume})", async () => {
    const { channelId, nod } = await client("LangGraph approve");
    const calls: unknown[] = [];
    const config = { configurable: { thread_id: "thread-approve" } };
    const running = invokeWithNod(refundGraph(calls), { orderId: "A-1", amount: 120 }, config, { nod });
    const asked = await answerNext(channelId, () => ({ response: { orderId: "A-1", amount: 95 } }));
    expect(asked.review.type).toBe("form");
    expect(asked.review.payload.fields).toMatchObject(REFUND_FIELDS.slice(0, 2));
    expect(asked.text).toContain('"amount": 120');

    const result = await running;
    expect(calls).toEqual([{ orderId: "A-1", amount: 95 }]);
    expect(result).toMatchObject({ result: "refunded 95 on A-1" });
    expect(result).not.toHaveProperty("__interrupt__");
  });

  it("a payload that is a Nod message resumes with its answer; any other payload gets Approve / Reject", async () => {
    const { channelId, nod } = await client("LangGraph payloads");
    const Deploy = Annotation.Root({ env: Annotation<string>, result: Annotation<string> });
    const graph = new StateGraph(Deploy)
      .addNode("pick", () => {
        const answer = interrupt({
          text: "Which environment?",
          review: {
            type: "selection",
            payload: {
              items: [
                { id: "staging", label: "Staging" },
                { id: "production", label: "Production" },
              ],
            },
          },
        }) as { selectedIds: string[] };
        return { env: answer.selectedIds[0] };
      })
      .addNode("confirm", (state) => {
        const go = interrupt(`Deploy to **${state.env}** now?`) as InterruptDecision;
        return { result: go.approved ? `deployed to ${state.env}` : `held: ${go.reason}` };
      })
      .addEdge(START, "pick")
      .addEdge("pick", "confirm")
      .addEdge("confirm", END)
      .compile({ checkpointer: new MemorySaver() });
    const running = invokeWithNod(graph, {}, { configurable: { thread_id: "thread-payloads" } }, { nod, expiresInSeconds: 3600 });
    const first = await answerNext(channelId, () => ({ response: { selectedIds: ["staging"] } }));
    expect(first).toMatchObject({ text: "Which environment?", review: { type: "selection" } });
    const second = await answerNext(channelId, () => ({ response: { selectedOption: "approve" } }));
    expect(second.text).toBe("Deploy to **staging** now?");
    expect(second.review.type).toBe("approval");
    expect(await running).toMatchObject({ env: "staging", result: "deployed to staging" });
  });

  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it("webhook: the reviews are posted without waiting; Nod's review:responded delivery resumes the thread (a rejection, with the reason)", async () => {
    const { channelId, nod } = await client("LangGraph webhook");
    const calls: unknown[] = [];
    const graph = refundGraph(calls);
    const config = { configurable: { thread_id: "thread-webhook" } };
    let finished: (value: unknown) => void;
    const done = new Promise((resolve) => (finished = resolve));
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        res.writeHead(200).end("ok"); // answer at once; the graph resumes after (a slow receiver would be retried)
        const resumed = await resumeFromWebhook(graph, JSON.parse(Buffer.concat(chunks).toString("utf8")), { nod, webhookUrl: hook });
        if (resumed) finished(resumed);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/nod`;

    const first = await graph.invoke({ orderId: "B-7", amount: 4000 }, config);
    const posted = await askInterrupts(nod, first, config, { webhookUrl: hook });
    expect(posted).toHaveLength(1);
    expect(posted[0]!.metadata).toMatchObject({ langgraph: { threadId: "thread-webhook" } });
    // Asking again about the same interrupt posts nothing new (the clientId is the thread's and interrupt's).
    expect((await askInterrupts(nod, first, config, { webhookUrl: hook }))[0]!.id).toBe(posted[0]!.id);

    await answerNext(channelId, () => ({ response: { _dismissed: true }, feedback: "Needs a manager" }));
    const result = await done;
    expect(calls).toEqual([]);
    expect(result).toMatchObject({ result: "refused: Needs a manager" });
  });
});
