import ipaddr from 'ipaddr.js';
import { fail, ok, type Result } from '../result.js';

/** At most this many entries in one allow-list; a longer list is almost certainly a mistake. */
export const MAX_CIDR_ENTRIES = 100;

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Checks IPv6 text more strictly than ipaddr.js and returns what to hand it, or null. A dotted IPv4
 * tail must be plain decimal (ipaddr.js also takes hex and leading zeros there), and `::a.b.c.d`,
 * the IPv4-compatible address, is spelled `::0:a.b.c.d`: ipaddr.js reads the short form as the
 * IPv4-mapped `::ffff:a.b.c.d`, so `::0.0.0.0` would be 0.0.0.0 while `::` is `::`.
 */
function ipv6Text(text: string): string | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  const percent = text.indexOf('%');
  const addr = percent === -1 ? text : text.slice(0, percent);
  if (!addr.includes('.')) return text;
  const colon = addr.lastIndexOf(':');
  if (!ipaddr.IPv4.isValidFourPartDecimal(addr.slice(colon + 1))) return null;
  return colon === 1 ? `::0:${text.slice(2)}` : text;
}

/** Parses an address as written: IPv4-mapped IPv6 stays IPv6. Null when invalid. */
function parseAddress(text: string): Addr | null {
  // IPv4 only in dotted-quad decimal: ipaddr.js would also read "010.1.2.3" as octal and "1" as 0.0.0.1.
  const plain = text.includes(':') ? ipv6Text(text) : ipaddr.IPv4.isValidFourPartDecimal(text) ? text : null;
  if (plain === null) return null;
  try {
    return ipaddr.parse(plain);
  } catch {
    return null;
  }
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it stands for. */
function unmapped(addr: Addr): Addr {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

/** Parses an IP address, turning IPv4-mapped IPv6 (`::ffff:10.0.0.1`) into IPv4. Null when invalid. */
export function parseIp(text: string): Addr | null {
  const addr = parseAddress(text);
  return addr ? unmapped(addr) : null;
}

/**
 * Validates one allow-list entry and returns it in canonical form. A bare address means a single host
 * (`/32` or `/128`). An entry with host bits set (`10.1.2.3/8`) is refused rather than silently widened.
 * IPv4-mapped ranges of at least /96 become the IPv4 range they stand for.
 */
export function normalizeCidr(entry: string): Result<string> {
  const text = entry.trim();
  const invalid = fail<string>(`"${text.slice(0, 64)}" is not an IP address or CIDR range`);
  if (text.length === 0 || text.length > 64) return invalid;
  // A zone (fe80::1%eth0) names an interface of one host: meaningless in a setting every node shares.
  if (text.includes('%')) return fail(`"${text}" has a zone index (%…); IP rules take plain addresses`);
  const slash = text.indexOf('/');
  const parsed = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (!parsed) return invalid;
  if (slash === -1) {
    const addr = unmapped(parsed);
    return ok(`${addr.toString()}/${addr.kind() === 'ipv4' ? 32 : 128}`);
  }
  const bitsText = text.slice(slash + 1);
  let bits = Number(bitsText);
  if (!/^\d{1,3}$/.test(bitsText) || bits > (parsed.kind() === 'ipv4' ? 32 : 128)) return invalid;
  let addr = parsed;
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const network =
    addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  if (network.toString() !== addr.toString()) {
    return fail(`"${text}" has host bits set; did you mean ${network.toString()}/${bits}?`);
  }
  return ok(`${network.toString()}/${bits}`);
}

/** Validates a whole list, returning canonical entries without duplicates, or the first problem. */
export function normalizeCidrList(entries: readonly string[]): Result<string[]> {
  if (entries.length > MAX_CIDR_ENTRIES) return fail(`at most ${MAX_CIDR_ENTRIES} entries are allowed`);
  const out = new Set<string>();
  for (const entry of entries) {
    const r = normalizeCidr(entry);
    if (!r.ok) return r;
    out.add(r.value);
  }
  return ok([...out]);
}

/** A compiled allow-list: IPv4 ranges as integer masks, IPv6 ranges as parsed pairs. */
export interface IpMatcher {
  /** True when the list is empty: no restriction. */
  readonly allowsAll: boolean;
  matches(ip: string): boolean;
}

const ALLOW_ALL: IpMatcher = { allowsAll: true, matches: () => true };

function ipv4ToInt(addr: ipaddr.IPv4): number {
  const [a = 0, b = 0, c = 0, d = 0] = addr.octets;
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/**
 * Compiles canonical CIDR entries once (when a token or a setting loads), so that the request path
 * only does integer compares. Entries must already be normalized; invalid ones throw.
 */
export function compileIpMatcher(cidrs: readonly string[]): IpMatcher {
  if (cidrs.length === 0) return ALLOW_ALL;
  const v4: Array<[number, number]> = [];
  const v6: Array<[ipaddr.IPv6, number]> = [];
  for (const cidr of cidrs) {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    if (addr.kind() === 'ipv4') {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      v4.push([(ipv4ToInt(addr as ipaddr.IPv4) & mask) >>> 0, mask]);
    } else {
      v6.push([addr as ipaddr.IPv6, bits]);
    }
  }
  return {
    allowsAll: false,
    matches(ip: string): boolean {
      const addr = parseIp(ip);
      if (!addr) return false;
      if (addr.kind() === 'ipv4') {
        const n = ipv4ToInt(addr as ipaddr.IPv4);
        for (const [net, mask] of v4) if ((n & mask) >>> 0 === net) return true;
        return false;
      }
      for (const range of v6) if ((addr as ipaddr.IPv6).match(range)) return true;
      return false;
    },
  };
}
