// Helpers every test project shares (the workerd pools and the Node e2e project alike): web-platform APIs only.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The session cookie (`access_token=…`) a login or setup answer sets; throws when it sets none. */
export function sessionCookie(res: { headers: Headers }): string {
  const set = res.headers.get("set-cookie") ?? "";
  const pair = set.match(/access_token=[^;]+/)?.[0];
  if (!pair) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
  return pair;
}

/** Standard base64 of some bytes (in chunks: a spread of megabytes would overflow the call stack). */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** base64url (padded or not) to bytes. */
export function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
