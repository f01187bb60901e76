/** Size limits on what agents and people may send. Each is enforced by a zod schema. */
export const LIMITS = {
  id: 100,
  label: 200,
  description: 2000,
  url: 2048,
  text: 32_000,
  metadataBytes: 16_384,
  payloadBytes: 65_536,
  options: 20,
  items: 200,
  fields: 50,
  attachmentsPerMessage: 20,
  listPage: 100,
} as const;
