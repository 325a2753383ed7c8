import { parseIp, type IpMatcher } from './ip-rules.js';

export interface ClientAddress {
  /** The address of the client that made the request, as far as trusted proxies vouch for it. */
  clientIp: string;
  /** The proxy or load balancer that connected to us, when it is a trusted one; null for direct clients. */
  proxyIp: string | null;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 clients on dual-stack sockets look like IPv4 everywhere. */
export function normalizeSocketIp(ip: string | undefined): string {
  if (!ip) return '0.0.0.0';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** Some load balancers write `1.2.3.4:5678` or `[2001:db8::1]:443`; the port is not part of the address. */
function withoutPort(hop: string): string {
  const v6 = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(hop);
  if (v6?.[1] !== undefined) return v6[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  return v4?.[1] ?? hop;
}

/**
 * The one place that decides the client IP. X-Forwarded-For is believed only when the peer is a trusted
 * proxy; then its entries are walked from the right, skipping trusted proxies, and the first untrusted
 * address is the client. The peer itself is kept as the proxy IP, so neither is lost or swapped.
 */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: IpMatcher,
): ClientAddress {
  const peerIp = normalizeSocketIp(peer);
  if (trusted.allowsAll || !trusted.matches(peerIp) || forwardedFor === undefined) {
    return { clientIp: peerIp, proxyIp: null };
  }
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = peerIp;
  for (let i = hops.length - 1; i >= 0; i--) {
    const raw = withoutPort((hops[i] ?? '').trim());
    if (raw.length === 0) continue;
    const hop = normalizeSocketIp(raw);
    // Garbage in the header stops the walk: the last trusted hop is the best we know.
    if (!parseIp(hop)) break;
    client = hop;
    if (!trusted.matches(hop)) break;
  }
  return { clientIp: client, proxyIp: peerIp };
}
