import ipaddr from 'ipaddr.js';

/**
 * Client-side check of IP allow-list entries. It mirrors the server (src/domain/ip-rules.ts), with the
 * same library, so that an entry accepted here is accepted there:
 * - IPv4 only in dotted-quad decimal (no octal `010.1.2.3`, no short `10.1`);
 * - IPv6 in any valid form, IPv4-mapped addresses read as IPv4;
 * - a bare address means one host; a CIDR range must have its host bits zero.
 */

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

export const MAX_IP_ENTRIES = 100;

function parseIp(text: string): Addr | null {
  if (text.includes(':') ? !ipaddr.IPv6.isValid(text) : !ipaddr.IPv4.isValidFourPartDecimal(text))
    return null;
  try {
    return ipaddr.process(text);
  } catch {
    return null;
  }
}

export type CidrCheck = { ok: true; value: string } | { ok: false; error: string };

/** Validates one entry and returns it in the canonical form the server stores. */
export function checkCidr(entry: string): CidrCheck {
  const text = entry.trim();
  const bad: CidrCheck = { ok: false, error: `"${text.slice(0, 64)}" is not an IP address or CIDR range` };
  if (text.length === 0 || text.length > 64) return bad;
  const slash = text.indexOf('/');
  if (slash === -1) {
    const addr = parseIp(text);
    if (!addr) return bad;
    return { ok: true, value: `${addr.toString()}/${addr.kind() === 'ipv4' ? 32 : 128}` };
  }
  if (!parseIp(text.slice(0, slash)) || !/^\d{1,3}$/.test(text.slice(slash + 1))) return bad;
  let range: [Addr, number];
  try {
    range = ipaddr.parseCIDR(text);
  } catch {
    return bad;
  }
  let [addr, bits] = range;
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const network =
    addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  if (network.toString() !== addr.toString()) {
    return { ok: false, error: `"${text}" has host bits set; did you mean ${network.toString()}/${bits}?` };
  }
  return { ok: true, value: `${network.toString()}/${bits}` };
}

/** Splits a textarea into entries: one per line, or separated by commas or spaces. */
export function splitEntries(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface IpListCheck {
  entries: string[];
  errors: string[];
}

export function checkIpList(text: string): IpListCheck {
  const raw = splitEntries(text);
  const errors: string[] = [];
  const entries: string[] = [];
  for (const e of raw) {
    const r = checkCidr(e);
    if (r.ok) entries.push(r.value);
    else errors.push(r.error);
  }
  if (raw.length > MAX_IP_ENTRIES) errors.push(`At most ${MAX_IP_ENTRIES} entries are allowed.`);
  return { entries: [...new Set(entries)], errors };
}
