/**
 * Refuses request targets that the gateway and the upstream could read differently. Read rules,
 * logs and audit records judge the path as sent; an upstream that drops a fragment, resolves
 * `..` or decodes `%2F` would route somewhere else (a "read" that is really `git-receive-pack`).
 * Well-behaved clients never send these, so refusing them costs nothing and closes the gap.
 */
const SUSPICIOUS = /#|\\|%2e|%2f|%5c|%00|\/\.\.?(\/|$)/i;

export type TargetCheck = { ok: true; path: string } | { ok: false; reason: string };

/** Checks an origin-form target (`/path?query`) and returns its path. */
export function checkRequestTarget(target: string): TargetCheck {
  if (target.length === 0 || target.charCodeAt(0) !== 47 /* '/' */) {
    return {
      ok: false,
      reason: 'the request target must be a path starting with "/" (no absolute URLs, no "*")',
    };
  }
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (SUSPICIOUS.test(path)) {
    return {
      ok: false,
      reason: 'the path contains a fragment, a backslash, a dot-segment or an encoded "." "/" "\\" or NUL',
    };
  }
  if (target.includes('#')) return { ok: false, reason: 'the request target contains a fragment' };
  return { ok: true, path };
}
