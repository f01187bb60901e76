// The typed client's live helper (NodClient.subscribe) with the stock socket.io-client against the real
// server: events arrive typed, a refused channel or key rejects `ready`, and after a dropped connection the
// helper re-subscribes and the server replays what was created meanwhile.
import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { NodClient, type Message, type Subscription } from "../../client/src/index";
import { answerWhenAsked, newAgent, nodUrl } from "./helpers";

const subs: Subscription[] = [];
afterEach(() => {
  for (const s of subs.splice(0)) s.close();
});

function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe("NodClient.subscribe over Socket.IO", () => {
  it("delivers message:created and review:responded for an ask answered by the person", async () => {
    const { channelId, apiKey } = await newAgent("Client live");
    const nod = new NodClient({ url: nodUrl(), apiKey, channelId });
    const created: Message[] = [];
    const responded: Message[] = [];
    const sub = nod.subscribe(io, { on: { "message:created": (m) => created.push(m), "review:responded": (m) => responded.push(m) } });
    subs.push(sub);
    await sub.ready;

    const asking = nod.ask({
      text: "Ship the hotfix?",
      review: {
        type: "approval",
        payload: {
          options: [
            { id: "ship", label: "Ship" },
            { id: "hold", label: "Hold" },
          ],
        },
      },
    });
    expect((await answerWhenAsked(channelId, /^Ship the hotfix\?$/, { selectedOption: "ship" })).status).toBe(200);
    expect(await asking).toEqual({ selectedOption: "ship" });

    const answered = await until("review:responded", () => responded[0]);
    expect(answered.review).toMatchObject({ type: "approval", status: "completed", response: { selectedOption: "ship" } });
    expect(created.map((m) => m.id)).toContain(answered.id);
  });

  it("re-subscribes after the connection drops and gets the messages created meanwhile", async () => {
    const { channelId, apiKey } = await newAgent("Client reconnect");
    const nod = new NodClient({ url: nodUrl(), apiKey, channelId });
    const created: Message[] = [];
    const sub = nod.subscribe(io, { transports: ["websocket"], on: { "message:created": (m) => created.push(m) } });
    subs.push(sub);
    await sub.ready;
    const first = await nod.send({ text: "before the drop" });
    await until("the first message", () => created.find((m) => m.id === first.id));

    const socket = sub.socket as Socket;
    const dropped = new Promise<void>((resolve) => socket.once("disconnect", () => resolve()));
    socket.io.engine.close(); // the connection drops; socket.io-client reconnects by itself
    await dropped;
    const missed = await nod.send({ text: "while disconnected" });
    expect(socket.connected, "the message should be created while the socket is down").toBe(false);

    const replayed = await until("the missed message", () => created.find((m) => m.id === missed.id));
    expect(replayed.text).toBe("while disconnected");
    expect(socket.connected).toBe(true);
    expect(created.filter((m) => m.id === first.id)).toHaveLength(1); // nothing older is replayed
  });

  it("rejects `ready` for a channel the key may not use, and for a wrong key", async () => {
    const mine = await newAgent("Client mine");
    const other = await newAgent("Client other");
    const refusedChannel = new NodClient({ url: nodUrl(), apiKey: mine.apiKey }).subscribe(io, { channels: [other.channelId], on: {} });
    subs.push(refusedChannel);
    await expect(refusedChannel.ready).rejects.toThrow(/was refused/);

    const errors: Error[] = [];
    const wrongKey = new NodClient({ url: nodUrl(), apiKey: "hp_wrong", channelId: mine.channelId }).subscribe(io, { on: {}, onError: (e) => errors.push(e) });
    subs.push(wrongKey);
    await expect(wrongKey.ready).rejects.toThrow(/unauthorized/);
    expect(errors[0]?.message).toBe("unauthorized");
  });
});
