import { Hono } from "hono";
import type { AppEnv } from "../env";
import { notFound } from "../lib/errors";
import { doc } from "../lib/validate";
import { findPlugin, listPlugins, pluginManifest } from "../plugins/registry";

export const pluginRoutes = new Hono<AppEnv>()
  .get("/plugins", doc("List the installed plugins"), (c) => c.json(listPlugins()))
  .get("/plugins/:name", doc("One plugin's manifest"), (c) => {
    const plugin = findPlugin(c.req.param("name"));
    if (!plugin) throw notFound("Plugin");
    return c.json(pluginManifest(plugin));
  });
