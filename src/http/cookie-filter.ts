/**
 * A Cookie header without the cookie `name`, the others kept byte for byte; null when nothing is
 * left. A cookie is matched exactly as `readCookie` reads it (name trimmed, case-sensitive), so no
 * value the management plane would accept as that cookie survives. Headers that do not mention the
 * name are returned as they are, without splitting.
 */
export function withoutCookie(header: string, name: string): string | null {
  if (!header.includes(name)) return header;
  const kept = header.split(';').filter((part) => {
    const eq = part.indexOf('=');
    return eq === -1 || part.slice(0, eq).trim() !== name;
  });
  const rest = kept.join(';').trimStart();
  return rest.trim() === '' ? null : rest;
}
