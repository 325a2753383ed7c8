/**
 * Header rules of the proxy path. Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and
 * never cross a proxy, nor do the headers a `Connection` header names.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Names listed in a Connection header, lower-cased; usually none. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  const out = new Set<string>();
  for (const part of text.split(',')) {
    const t = part.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive') out.add(t);
  }
  return out.size > 0 ? out : null;
}

/** The names of the identity headers tokengate sets upstream; configurable, lower-cased once. */
export interface IdentityHeaderNames {
  user: string;
  tokenId: string;
  scope: string;
}

export const DEFAULT_IDENTITY_HEADERS: IdentityHeaderNames = {
  user: 'x-forwarded-user',
  tokenId: 'x-tokengate-token-id',
  scope: 'x-tokengate-scope',
};

/** Response headers to a client that is limited: the IETF draft's RateLimit and RateLimit-Policy, and Retry-After. */
export function rateLimitHeaders(rate: {
  limit: number;
  windowMs: number;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  allowed: boolean;
}): Record<string, string> {
  const out: Record<string, string> = {
    'ratelimit-policy': `"token";q=${rate.limit};w=${Math.round(rate.windowMs / 1000)}`,
    ratelimit: `"token";r=${rate.remaining};t=${Math.ceil(rate.resetMs / 1000)}`,
  };
  if (!rate.allowed) out['retry-after'] = String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000)));
  return out;
}

/** The first header name in `names` that occurs more than once, or null. One pass, no allocation in the usual case. */
export function duplicateHeader(rawHeaders: readonly string[], names: readonly string[]): string | null {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    for (let k = 0; k < names.length; k++) {
      const want = names[k] ?? '';
      if (name.length !== want.length || name.toLowerCase() !== want) continue;
      if (seen & (1 << k)) return want;
      seen |= 1 << k;
    }
  }
  return null;
}
