// Built-in plugins: a message whose `metadata.plugin` names one is rendered by it in the web app.
// The manifests' input schemas are zod (contract/requests/plugins.ts), published as JSON Schema.
import { z } from "zod";
import { diffPluginInput, formSubmitPluginInput } from "../../contract/requests/plugins";

export interface Plugin {
  name: string;
  displayName: string;
  version: string;
  description: string;
  /** What a message naming the plugin carries; an object whose `plugin` is the plugin's name. */
  input: z.ZodObject;
}

const PLUGINS: Plugin[] = [
  {
    name: "form-submit",
    displayName: "Form submission",
    version: "1.0.0",
    description: "Shows the submitted fields of a form (every metadata key but `plugin`) as a labelled card.",
    input: formSubmitPluginInput,
  },
  {
    name: "diff",
    displayName: "Code diff",
    version: "1.0.0",
    description: "Renders a unified diff with added and removed lines highlighted, for code review approvals.",
    input: diffPluginInput,
  },
];

export const pluginManifest = (p: Plugin) => ({
  name: p.name,
  displayName: p.displayName,
  version: p.version,
  description: p.description,
  inputSchema: z.toJSONSchema(p.input, { unrepresentable: "any" }),
});

export const listPlugins = () => PLUGINS.map(pluginManifest);
export const installedPlugins = (): readonly Plugin[] => PLUGINS;
export const findPlugin = (name: string) => PLUGINS.find((p) => p.name === name);
