// Opaque, URL-safe, roughly time-ordered ids: 9 base36 chars of milliseconds, then 12 random ones.
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 36];
  return Date.now().toString(36).padStart(9, "0") + rand;
}

export const nowIso = () => new Date().toISOString();
