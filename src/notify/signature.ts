import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature, as `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'x-tokengate-signature';

/**
 * The signature of a webhook body: HMAC-SHA256 with the configured secret over the exact bytes
 * sent, as GitHub signs its webhooks. A receiver computes it over the raw body it read, before
 * any JSON parsing, and compares in constant time ({@link verifyWebhookSignature}).
 */
export function signWebhook(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: true when `header` is the signature of `body` under `secret`. */
export function verifyWebhookSignature(
  secret: string,
  body: string | Buffer,
  header: string | null | undefined,
): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signWebhook(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
