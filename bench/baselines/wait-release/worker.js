// The bare-runtime baseline of scenario 5: a Worker and one Durable Object holding parked requests,
// released at once, nothing else. Each GET /wait is its own Worker invocation making one RPC call to the
// object, which parks it; POST /release hands every parked call the request's body (one string, shared)
// and each invocation turns it into a JSON Response, as Nod's wait route does; POST /release?slice=N
// hands them out N at a time with a turn of the event loop between (as Nod's room does). GET /count says
// how many are parked. No D1, no auth, no router: what is left is the runtime's own cost per parked request.
import { DurableObject } from "cloudflare:workers";

export class Room extends DurableObject {
  parked = [];

  wait() {
    return new Promise((resolve) => this.parked.push(resolve));
  }

  count() {
    return this.parked.length;
  }

  release(body, slice) {
    const parked = this.parked;
    this.parked = [];
    const step = slice || parked.length;
    const next = (from) => {
      for (const resolve of parked.slice(from, from + step)) resolve(body);
      if (from + step < parked.length) setTimeout(() => next(from + step), 0);
    };
    next(0);
    return parked.length;
  }
}

export default {
  async fetch(request, env) {
    const room = env.ROOM.get(env.ROOM.idFromName("room"));
    const { pathname, searchParams } = new URL(request.url);
    if (pathname === "/wait") return new Response(await room.wait(), { headers: { "content-type": "application/json" } });
    if (pathname === "/count") return Response.json(await room.count());
    if (pathname === "/release" && request.method === "POST")
      return Response.json({ released: await room.release(await request.text(), Number(searchParams.get("slice")) || 0) });
    return new Response("not found", { status: 404 });
  },
};
