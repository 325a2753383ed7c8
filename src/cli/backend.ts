import type { AuditRecordView } from '../audit/export.js';
import type { TokenRequest } from '../domain/token/policy.js';
import type { PublicToken, TokenStatus } from '../domain/token/token.js';
import type { PublicUser } from '../domain/user.js';
import type { AuditFilter } from '../store/audit-repo.js';
import type { NewUser, UserChange } from '../services/user-service.js';

/**
 * What the management commands do, whether on the database (LocalBackend, the service account on the
 * server) or through the management REST API (RemoteBackend, `--server`/`tokengate login`). Both
 * return the API's public shapes, so a command prints the same table and the same JSON either way.
 */
export interface Backend {
  /** `local` or `remote`: a few commands exist only on the database (audit verify, init, serve). */
  readonly kind: 'local' | 'remote';
  createToken(user: string, req: TokenRequest): Promise<CreatedToken>;
  /** Every matching token, newest first (all pages). */
  listTokens(filter: { user?: string; status?: TokenStatus }): Promise<PublicToken[]>;
  rotateToken(id: string, graceSeconds: number | undefined): Promise<CreatedToken>;
  revokeToken(id: string): Promise<PublicToken>;

  /** Every user, by user name (all pages). */
  listUsers(): Promise<PublicUser[]>;
  createUser(user: NewUser): Promise<PublicUser>;
  updateUser(username: string, change: UserChange): Promise<PublicUser>;
  deleteUser(username: string): Promise<void>;

  /** Every setting with its current value. */
  settings(): Promise<Record<string, unknown>>;
  /**
   * Changes one setting; returns its value before and after. Remotely the write carries the ETag
   * of the read, so `old` is the value replaced: a change in between is a conflict (79), not lost.
   */
  setSetting(key: string, value: unknown): Promise<{ old: unknown; new: unknown }>;
  /** The `log.levels` setting: level per logger. */
  logLevels(): Promise<Record<string, string>>;
  /** Sets one logger's level, or with null lets it inherit; returns the levels after the change. */
  setLogLevel(logger: string, level: string | null): Promise<Record<string, string>>;

  /** The newest `limit` matching audit records, newest first. */
  auditSearch(filter: AuditFilter, limit: number): Promise<AuditRecordView[]>;
}

/** A token just created or rotated: its secret, shown this once, and its public record. */
export interface CreatedToken {
  token: string;
  record: PublicToken;
}
