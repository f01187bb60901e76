// The Worker's entry: the Hono app for /api and /socket.io (the SPA is served by static assets), the
// hourly clean-up (Cron Trigger), and the two Durable Object classes.
import { app } from "./app";
import type { Env } from "./env";
import { scheduled } from "./maintenance";

export { ChannelRoom } from "./room/ChannelRoom";
export { Gateway } from "./gateway/Gateway";

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>;
