import { MAX_CIDR_ENTRIES, normalizeCidr } from '../../src/domain/auth/ip-rules';

/**
 * Client-side check of IP allow-list entries, with the server's own rules (src/domain/auth/ip-rules.ts),
 * so that an entry accepted here is accepted there, in the canonical form the server stores.
 */

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

/** Every entry's problem (not only the first, as the server reports), and the canonical entries. */
export function checkIpList(text: string): IpListCheck {
  const raw = splitEntries(text);
  const errors: string[] = [];
  const entries: string[] = [];
  for (const e of raw) {
    const r = normalizeCidr(e);
    if (r.ok) entries.push(r.value);
    else errors.push(r.error);
  }
  if (raw.length > MAX_CIDR_ENTRIES) errors.push(`At most ${MAX_CIDR_ENTRIES} entries are allowed.`);
  return { entries: [...new Set(entries)], errors };
}
