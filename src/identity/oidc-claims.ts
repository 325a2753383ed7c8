import { asciiLower, USERNAME_PATTERN } from '../domain/user.js';
import { OidcError } from './oidc-error.js';

/** Who signed in, as tokengate will use it: the input of just-in-time user creation and group mapping. */
export interface OidcIdentity {
  /** From the username claim, ASCII lower-cased, matching USERNAME_PATTERN. */
  username: string;
  /** `name`, else the username. */
  displayName: string;
  /** `email`, unless the provider says it is not verified (`email_verified: false`). */
  email: string | null;
  /** From the groups claim, as the provider spells them. */
  groups: string[];
  /** The provider's stable subject identifier. */
  sub: string;
  /** The issuer that vouched for this identity. */
  issuer: string;
}

export interface ClaimRules {
  /** The claim holding the username (`preferred_username`). */
  usernameClaim: string;
  /**
   * A claim to use when the username claim is absent (`sub`, `email`), or none. Never implied: `sub` is
   * often an opaque id, which would silently create users no one recognises.
   */
  usernameFallbackClaim?: string | undefined;
  /**
   * The claim holding groups or roles (`groups`). A name with dots is first looked up as is (Auth0-style
   * `https://example.com/groups`), then as a path into nested objects (Keycloak's `realm_access.roles`).
   */
  groupsClaim: string;
}

/** A provider that sends more than this many groups is sending something else. */
const MAX_GROUPS = 1000;
const MAX_GROUP_LENGTH = 256;

/** The identity in merged ID token and userinfo claims, or OidcError('claims', <claim name>). */
export function identityFromClaims(claims: Record<string, unknown>, rules: ClaimRules): OidcIdentity {
  const sub = claims.sub;
  const issuer = claims.iss;
  if (typeof sub !== 'string' || sub === '') throw new OidcError('claims', 'sub');
  if (typeof issuer !== 'string' || issuer === '') throw new OidcError('claims', 'iss');
  const username = usernameFrom(claims, rules);
  const name = claims.name;
  const email = claims.email;
  return {
    username,
    displayName: typeof name === 'string' && name.trim() !== '' ? name.trim() : username,
    email: typeof email === 'string' && email !== '' && claims.email_verified !== false ? email : null,
    groups: groupsFrom(lookup(claims, rules.groupsClaim), rules.groupsClaim),
    sub,
    issuer,
  };
}

function usernameFrom(claims: Record<string, unknown>, rules: ClaimRules): string {
  let claim = rules.usernameClaim;
  let value = lookup(claims, claim);
  if ((value === undefined || value === '') && rules.usernameFallbackClaim !== undefined) {
    claim = rules.usernameFallbackClaim;
    value = lookup(claims, claim);
  }
  if (typeof value !== 'string') throw new OidcError('claims', claim);
  const username = asciiLower(value);
  if (!USERNAME_PATTERN.test(username)) throw new OidcError('claims', claim);
  return username;
}

function groupsFrom(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (!Array.isArray(value) && typeof value !== 'string') throw new OidcError('claims', claim);
  if (list.length > MAX_GROUPS) throw new OidcError('claims', claim);
  const groups = new Set<string>();
  for (const g of list) {
    if (typeof g !== 'string' || g.length > MAX_GROUP_LENGTH) throw new OidcError('claims', claim);
    if (g !== '') groups.add(g);
  }
  return [...groups];
}

/** `claims[name]`, else the dotted path `a.b.c` through nested plain objects. */
function lookup(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  if (!name.includes('.')) return undefined;
  let current: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
