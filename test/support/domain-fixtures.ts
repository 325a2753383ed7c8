import type { StoredToken } from '../../src/domain/token/token.js';
import type { User } from '../../src/domain/user.js';

/** A stored token owned by alice, valid around `now`; the pure decision tests vary one field at a time. */
export function tokenFixture(now: number, overrides: Partial<StoredToken> = {}): StoredToken {
  return {
    id: 'tok_1',
    user: 'alice',
    description: 'ci',
    scope: 'read',
    createdAt: now - 1000,
    createdBy: 'alice',
    expiresAt: now + 1000,
    lastUsedAt: null,
    lastUsedIp: null,
    allowedIps: null,
    rateLimit: null,
    revokedAt: null,
    revokedBy: null,
    secretIssuedBy: 'alice',
    hash: 'f'.repeat(64),
    ...overrides,
  };
}

/** alice, an enabled member of `dev`. */
export function ownerFixture(now: number, overrides: Partial<User> = {}): User {
  return {
    username: 'alice',
    displayName: 'Alice',
    email: null,
    groups: ['dev'],
    disabled: false,
    createdAt: now - 10_000,
    updatedAt: now - 10_000,
    ...overrides,
  };
}
