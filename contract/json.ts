/** JSON values: what crosses Durable Object RPC and what the APIs send. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The size of a value as UTF-8 JSON, the way D1 and the wire count it. */
export const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
