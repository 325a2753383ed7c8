import type { AuditEvent } from '../../src/domain/audit/audit.js';
import type { StoredToken } from '../../src/domain/token/token.js';
import type { StoredUser } from '../../src/domain/user.js';

/** Rows for the store conformance suites (test/store-*.test.ts): a user, a token, an audit event. */

export const T0 = Date.UTC(2026, 0, 1);
export const DAY = 86_400_000;

export function user(username: string, extra: Partial<StoredUser> = {}): StoredUser {
  return {
    username,
    displayName: username.toUpperCase(),
    email: `${username}@example.test`,
    groups: ['dev'],
    passwordHash: null,
    disabled: false,
    createdAt: T0,
    updatedAt: T0,
    source: 'local',
    lastSignInAt: null,
    ownerGroup: null,
    disabledReason: null,
    ...extra,
  };
}

/** Numbers each token, so that ids, hashes and creation times are unique and ordered. */
let seq = 0;
export function token(owner: string, extra: Partial<StoredToken> = {}): StoredToken {
  seq++;
  return {
    id: `tok_${String(seq).padStart(6, '0')}`,
    hash: seq.toString(16).padStart(64, '0'),
    user: owner,
    description: `token ${seq}`,
    scope: 'read',
    createdAt: T0 + seq * 1000,
    createdBy: owner,
    expiresAt: null,
    lastUsedAt: null,
    lastUsedIp: null,
    allowedIps: null,
    rateLimit: null,
    revokedAt: null,
    revokedBy: null,
    useCount: 0,
    rotatedAt: null,
    secretIssuedBy: owner,
    ...extra,
  };
}

export function event(extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    ts: T0,
    category: 'tokens',
    action: 'token.created',
    summary: 'created',
    author: 'alice',
    affectedUser: 'alice',
    tokenId: null,
    tokenDescription: null,
    sourceIp: '203.0.113.7',
    proxyIp: '10.0.0.2',
    nodeId: 'node-a',
    requestId: 'r1',
    method: 'POST',
    endpoint: '/_tokengate/api/v1/tokens',
    outcome: 'success',
    details: { scope: 'read', nested: { list: [1, 2] } },
    ...extra,
  };
}
