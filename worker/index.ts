// The Worker's entry: the Hono app for /api and /socket.io (the SPA is served by static assets),
// and the two Durable Object classes.
import { app } from "./app";

export { ChannelRoom } from "./room/ChannelRoom";
export { Gateway } from "./gateway/Gateway";

export default app;
