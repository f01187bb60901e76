// The request types the client sends, each named once from the server's own zod schemas (type-only imports,
// so nothing of zod reaches the bundle). The package's .d.ts carries them written out in full (client/build/
// types.mjs), so an installed @nod/client needs no zod to type-check.
import type { z } from "zod";
import type { agentCommandsBody, setTagBody, setWebhookBody, statusPingBody } from "../../contract/requests/agent";
import type { storeTextBody } from "../../contract/requests/file";
import type { deltaEvent, postMessageBody, progressEvent, streamUpdateBody } from "../../contract/requests/message";
import type { reviewRequest } from "../../contract/requests/review";

/** A review as posted: `{type, payload, expiresInSeconds?, expiresAt?, callback?, assignees?, quorum?, …}`. */
export type ReviewRequestInput = z.input<typeof reviewRequest>;
/** `POST /api/v1/messages` without its review. */
export type MessageBodyInput = Omit<z.input<typeof postMessageBody>, "review">;
export type StatusPingInput = z.input<typeof statusPingBody>;
export type SetTagInput = z.input<typeof setTagBody>;
export type SetWebhookInput = z.input<typeof setWebhookBody>;
export type StoreTextInput = z.input<typeof storeTextBody>;
export type StreamUpdateInput = z.input<typeof streamUpdateBody>;
export type StreamDeltaInput = z.input<typeof deltaEvent>;
export type StreamProgressInput = z.input<typeof progressEvent>;
export type AgentCommandsInput = z.input<typeof agentCommandsBody>;
