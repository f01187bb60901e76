// Body limits over real HTTP (wrangler dev): a chunked upload over the limit and an oversized JSON body
// to the unauthenticated login are refused with 413 before they are read, store nothing, and leave
// the server answering the next request at once.
import { describe, expect, it } from "vitest";
import { asOwner, newAgent, nodUrl } from "./helpers";

const MAX_UPLOAD_BYTES = 25 * 1024 * 1024; // wrangler.toml

/** A body of `bytes` sent in 1 MiB chunks, without a Content-Length (Transfer-Encoding: chunked). */
function chunked(parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const queue = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function timed<T>(work: () => Promise<T>) {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe("body limits on the real server", () => {
  it("a chunked upload over the limit, split over two files: 413, nothing stored", async () => {
    const { channelId, apiKey } = await newAgent("Chunked uploader");
    const boundary = "nodboundary";
    const half = new Uint8Array(MAX_UPLOAD_BYTES / 2 + 1024 * 1024);
    const filePart = (name: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const parts = [
      `--${boundary}\r\nContent-Disposition: form-data; name="channelId"\r\n\r\n${channelId}\r\n`,
      filePart("a.bin"),
      ...Array.from({ length: 14 }, (_, i) => half.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024)),
      "\r\n",
      filePart("b.bin"),
      ...Array.from({ length: 14 }, (_, i) => half.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024)),
      `\r\n--${boundary}--\r\n`,
    ];
    const res = await fetch(`${nodUrl()}/api/v1/files/upload`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: chunked(parts),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ statusCode: 413 });
    const messages = await fetch(`${nodUrl()}/api/v1/messages?channel=${channelId}`, { headers: { "x-api-key": apiKey } }).then((r) => r.json());
    expect(messages.data).toEqual([]);
  });

  it("a 12 MiB JSON body to /api/auth/login: 413, and the server answers the next request at once", async () => {
    const body = JSON.stringify({ email: "owner@example.com", password: "x".repeat(12 * 1024 * 1024) });
    const refused = await timed(() => fetch(`${nodUrl()}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body }));
    expect(refused.value.status).toBe(413);
    const next = await timed(() => asOwner("GET", "/api/auth/me"));
    expect(next.value.status).toBe(200);
    expect(next.ms).toBeLessThan(1000);
  });
});
