import { claimedUsername } from '../domain/user.js';
import type { DirectoryUser } from '../ports/directory.js';

/** The header names of a trusted SSO proxy (config `identity.ssoHeaders`), lower-case. */
export interface SsoHeaderRules {
  user: string;
  groups: string;
  email: string;
  name: string;
  groupSeparator: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Longer values than any real user name, e-mail or group list are refused, not cut. */
const MAX_VALUE = 4096;

function one(headers: Headers, name: string): string | null {
  const v = headers[name];
  // Two copies of an identity header: a proxy that appends instead of replacing; trust neither.
  if (Array.isArray(v)) return null;
  const trimmed = v?.trim();
  return trimmed === undefined || trimmed === '' || trimmed.length > MAX_VALUE ? null : trimmed;
}

/**
 * The user an SSO proxy's headers name, or null when the user header is absent, empty, repeated or
 * not a name tokengate can hold.
 * The caller has already checked that the request comes from a trusted proxy: from anyone else these
 * headers are ignored. User names are lower-cased as tokengate stores them.
 */
export function ssoHeaderUser(headers: Headers, rules: SsoHeaderRules): DirectoryUser | null {
  const username = claimedUsername(one(headers, rules.user));
  if (username === null) return null;
  const groups = (one(headers, rules.groups) ?? '')
    .split(rules.groupSeparator)
    .map((g) => g.trim())
    .filter((g) => g !== '');
  return {
    username,
    displayName: one(headers, rules.name) ?? username,
    email: one(headers, rules.email),
    groups: [...new Set(groups)],
    disabled: false,
  };
}
