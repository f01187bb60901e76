// The input of each built-in plugin (worker/plugins/registry.ts): what a message naming the plugin carries, an
// object whose `plugin` is the plugin's name. The manifests publish them as JSON Schema.
import { z } from "zod";

/** form-submit: the submitted fields of a form, every key but `plugin`. */
export const formSubmitPluginInput = z.object({ plugin: z.literal("form-submit") }).catchall(z.union([z.string(), z.number(), z.boolean(), z.null()]));

/** diff: a unified diff, and optionally the file it changes and its language. */
export const diffPluginInput = z.object({
  plugin: z.literal("diff"),
  diff: z.string().max(200_000).describe("A unified diff, as `git diff` prints it"),
  filename: z.string().optional(),
  language: z.string().optional(),
});
