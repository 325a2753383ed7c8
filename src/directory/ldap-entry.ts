import type { Entry } from 'ldapts';

/**
 * Reading attribute values from an ldapts search entry. Servers answer with their own spelling of
 * an attribute's name (`memberof` for `memberOf`), so names are matched without regard to case.
 */
export function entryValues(entry: Entry, attribute: string): string[] {
  const want = attribute.toLowerCase();
  for (const [key, raw] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== want) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
  }
  return [];
}

export function entryValue(entry: Entry, attribute: string): string | null {
  return entryValues(entry, attribute)[0] ?? null;
}

/** Active Directory's userAccountControl flag for a disabled account. */
const ACCOUNTDISABLE = 0x2;

export function adAccountDisabled(entry: Entry): boolean {
  const v = Number(entryValue(entry, 'userAccountControl') ?? '0');
  return Number.isInteger(v) && (v & ACCOUNTDISABLE) !== 0;
}
