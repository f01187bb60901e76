// The typed client (client/) asking a person to configure a deploy: one `ask` call sends the form and
// resolves with the answer (it loops the long-poll and rejects if the review expires).
// The client is TypeScript; build it once first: `npm run build:client` (writes client/dist/index.js).
// Usage: NOD_URL=http://localhost:8787 NOD_API_KEY=hp_… NOD_CHANNEL=<agent id> node client.mjs
import { NodClient, ReviewExpiredError } from "../../client/dist/index.js";

const { NOD_URL, NOD_API_KEY, NOD_CHANNEL } = process.env;
if (!NOD_URL || !NOD_API_KEY || !NOD_CHANNEL) {
  console.error("Set NOD_URL, NOD_API_KEY and NOD_CHANNEL");
  process.exit(2);
}

const nod = new NodClient({ url: NOD_URL, apiKey: NOD_API_KEY, channelId: NOD_CHANNEL });

try {
  await nod.ping("busy", { message: "Preparing a deploy" });
  const answer = await nod.ask({
    text: "Please configure the deployment:",
    review: {
      type: "form",
      payload: {
        fields: [
          {
            name: "env",
            type: "select",
            label: "Environment",
            required: true,
            options: [
              { value: "staging", label: "Staging" },
              { value: "production", label: "Production" },
            ],
          },
          { name: "instances", type: "number", label: "Instances", min: 1, max: 10 },
        ],
        submitLabel: "Deploy",
      },
      expiresInSeconds: 3600,
    },
  });
  console.log(`Deploy to ${answer.env} with ${answer.instances ?? 1} instances`);
  await nod.send({ text: `Deploying to **${answer.env}**…`, status: "info" });
  await nod.ping("active");
} catch (err) {
  console.error(err instanceof ReviewExpiredError ? "The review expired without an answer" : `Failed: ${err.message}`);
  process.exit(1);
}
