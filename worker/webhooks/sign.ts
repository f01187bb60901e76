// Standard Webhooks signatures (standardwebhooks.com): the secret is `whsec_` + base64 key bytes,
// and `webhook-signature` is `v1,` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
import { base64, fromBase64, hmacSha256 } from "../lib/crypto";

export async function signatureHeaders(secret: string, id: string, body: string, now = Date.now()) {
  const timestamp = String(Math.floor(now / 1000));
  const key = fromBase64(secret.replace(/^whsec_/, ""));
  const signature = base64(await hmacSha256(key, `${id}.${timestamp}.${body}`));
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` };
}
