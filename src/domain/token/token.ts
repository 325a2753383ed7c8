/** A token's scope: `read` covers GET, HEAD and OPTIONS; `write` covers every method. */
export type Scope = 'read' | 'write';
export const SCOPES: readonly Scope[] = ['read', 'write'];

export interface RateLimitOverride {
  requests: number;
  windowSeconds: number;
}

/** A token record as stored, minus the hash. Times are epoch milliseconds. */
export interface TokenRecord {
  /** Public identifier such as `tok_5mJq8…`; never the secret. */
  id: string;
  user: string;
  description: string;
  scope: Scope;
  createdAt: number;
  /** Who created it: the owner, a manager acting on their behalf, or `@cli`. */
  createdBy: string;
  /** null: never expires. */
  expiresAt: number | null;
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  /** Canonical CIDR entries; null: no restriction of its own. */
  allowedIps: string[] | null;
  rateLimit: RateLimitOverride | null;
  revokedAt: number | null;
  revokedBy: string | null;
  /** Uses counted so far (written in batches with the last-used time). */
  useCount?: number;
  /** When the secret was last replaced by a rotation; null: never rotated. */
  rotatedAt?: number | null;
  /**
   * Who was handed the current secret: the creator, then whoever rotated it (a token rotating
   * itself keeps its holder). null: unknown (rotated before tokengate recorded it). Together with
   * `createdBy` it decides whether the token may gain its owner's new management powers.
   */
  secretIssuedBy: string | null;
}

/** What the store holds: the record and the SHA-256 of the secret. Never leaves the service layer. */
export interface StoredToken extends TokenRecord {
  hash: string;
  /**
   * Set only when the secret presented was one this token had before a rotation: that secret works
   * until this time (the grace period), and is reuse of a rotated token afterwards.
   */
  rotatedSecretValidUntil?: number;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(t: Pick<TokenRecord, 'revokedAt' | 'expiresAt'>, now: number): TokenStatus {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  return 'active';
}

/** The public view of a token: what the API and the CLI show. It has no field for the hash. */
export interface PublicToken {
  id: string;
  user: string;
  description: string;
  scope: Scope;
  status: TokenStatus;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  allowedIps: string[] | null;
  rateLimit: RateLimitOverride | null;
  revokedAt: string | null;
  revokedBy: string | null;
  useCount: number;
  /** Active, and expires within tokens.expiryWarningDays: its owner is (or is about to be) warned. */
  expiresSoon: boolean;
  /** When the secret was last replaced by a rotation. */
  rotatedAt: string | null;
  /** Who was handed the current secret; null: unknown (rotated before tokengate recorded it). */
  secretIssuedBy: string | null;
}

const DAY_MS = 86_400_000;

/** Active, with an expiry at most `warningDays` days away (0: never). */
export function expiresSoon(
  t: Pick<TokenRecord, 'revokedAt' | 'expiresAt'>,
  now: number,
  warningDays: number,
): boolean {
  return (
    warningDays > 0 &&
    t.expiresAt !== null &&
    tokenStatus(t, now) === 'active' &&
    t.expiresAt - now <= warningDays * DAY_MS
  );
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `warningDays`: tokens.expiryWarningDays, for `expiresSoon`. */
export function toPublicToken(t: TokenRecord, now: number, warningDays: number): PublicToken {
  return {
    id: t.id,
    user: t.user,
    description: t.description,
    scope: t.scope,
    status: tokenStatus(t, now),
    createdAt: new Date(t.createdAt).toISOString(),
    createdBy: t.createdBy,
    expiresAt: iso(t.expiresAt),
    lastUsedAt: iso(t.lastUsedAt),
    lastUsedIp: t.lastUsedIp,
    allowedIps: t.allowedIps,
    rateLimit: t.rateLimit,
    revokedAt: iso(t.revokedAt),
    revokedBy: t.revokedBy,
    useCount: t.useCount ?? 0,
    expiresSoon: expiresSoon(t, now, warningDays),
    rotatedAt: iso(t.rotatedAt ?? null),
    secretIssuedBy: t.secretIssuedBy,
  };
}

export const MAX_DESCRIPTION_LENGTH = 255;

/** Read-only tokens may use these methods. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function scopeAllows(scope: Scope, method: string): boolean {
  return scope === 'write' || READ_METHODS.has(method);
}
