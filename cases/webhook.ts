import { createHmac, timingSafeEqual } from 'node:crypto';

// Signed webhook POSTs. The signature covers the timestamp and the exact body
// (as GitHub and Stripe do), so a receiver can reject replays and edits:
//   x-tz-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//   x-tz-timestamp: <unix seconds>   x-tz-delivery: <outbox message id>
// The delivery id is stable across retries: receivers de-duplicate by it
// (delivery is at-least-once).

export const SIGNATURE_HEADER = 'x-tz-signature';
export const TIMESTAMP_HEADER = 'x-tz-timestamp';
export const DELIVERY_HEADER = 'x-tz-delivery';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): true when the signature matches, compared in constant time. */
export function verifyWebhookSignature(secret: string, timestamp: string | number, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

export interface WebhookOptions {
  secret: string;
  timeoutMs: number;
  now: () => number;
}

/** POSTs one message; resolves on any 2xx, rejects otherwise (the outbox retries). */
export async function postWebhook(opts: WebhookOptions, url: string, body: string, deliveryId: string): Promise<void> {
  const timestamp = Math.floor(opts.now() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signWebhook(opts.secret, timestamp, body),
      [TIMESTAMP_HEADER]: String(timestamp),
      [DELIVERY_HEADER]: deliveryId,
      'user-agent': 'tianzhong-cases/1',
    },
    body,
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  // Drain the body so the socket can be reused.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status >= 300) throw new Error(`webhook ${url} answered HTTP ${response.status}`);
}
