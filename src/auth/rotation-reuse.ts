import { maskTokens, type AuditEvent } from '../domain/audit/audit.js';
import type { StoredToken } from '../domain/token/token.js';
import type { NamedLogger } from '../log/log-manager.js';
import type { Notifier } from '../notify/notifier.js';
import type { FailedAttempt } from './brute-force.js';
import type { SettingsService } from '../services/settings-service.js';
import type { TokenService } from '../services/token-service.js';
import type { UserService } from '../services/user-service.js';

/** The always-on audit action of a rotated secret used after its grace period. */
export const TOKEN_REUSED = 'token.reused';

/** A method as it may go into an audit record (anything else is junk a client sent). */
const METHOD = /^[A-Z][A-Z-]{0,15}$/;

/** A token's owner hears about reuse at most this often (each attempt is still audited). */
const NOTIFY_INTERVAL_MS = 3_600_000;

export interface RotationReuseDeps {
  settings: Pick<SettingsService, 'current'>;
  tokens: Pick<TokenService, 'revokeAutomatically'>;
  users: Pick<UserService, 'findForNotice'>;
  notifier: Notifier;
  /** Where the always-on `token.reused` records go (the audit queue: the request never waits). */
  record: (e: AuditEvent) => void;
  log: NamedLogger;
  nodeId: string;
  now: () => number;
}

/**
 * What happens when a secret that a rotation replaced is used after its grace period (GitLab's
 * "token reuse detection"): the attempt is refused (401, by the decision), audited as
 * `token.reused`, logged, and the owner is told. With `tokens.revokeOnReuse` the token itself is
 * revoked too, since whoever holds an old secret may hold the new one: a leak is likely.
 *
 * Called from the request path; never waits for it and never throws.
 */
export class RotationReuse {
  private readonly revoking = new Set<string>();
  private readonly lastNotice = new Map<string, number>();

  constructor(private readonly deps: RotationReuseDeps) {}

  detected(token: StoredToken, attempt: FailedAttempt): void {
    const { deps } = this;
    const at = deps.now();
    const revoke = deps.settings.current['tokens.revokeOnReuse'];
    const until = token.rotatedSecretValidUntil ?? at;
    deps.log.warn(
      `A rotated secret of token "${token.description}" (${token.id}) of user ${token.user} was used after its grace period ended ${new Date(until).toISOString()}: refused${revoke ? '; revoking the token (tokens.revokeOnReuse)' : ''}`,
      {
        username: token.user,
        ip: attempt.clientIp,
        ...(attempt.endpoint !== null ? { url: attempt.endpoint } : {}),
      },
    );
    deps.record({
      ts: at,
      category: 'tokens',
      action: TOKEN_REUSED,
      summary: `Reuse of a rotated secret of token "${token.description}" of ${token.user}: refused${revoke ? ', and the token revoked' : ''}`,
      author: '@system',
      affectedUser: token.user,
      tokenId: token.id,
      tokenDescription: token.description,
      sourceIp: attempt.clientIp,
      proxyIp: attempt.proxyIp,
      nodeId: deps.nodeId,
      requestId: maskTokens(attempt.requestId),
      method: attempt.method !== null && METHOD.test(attempt.method) ? attempt.method : null,
      endpoint: maskTokens(attempt.endpoint),
      outcome: 'reused',
      details: {
        rotatedSecretValidUntil: new Date(until).toISOString(),
        rotatedAt: token.rotatedAt ? new Date(token.rotatedAt).toISOString() : null,
        revokeOnReuse: revoke,
      },
    });
    if (revoke) void this.revoke(token, attempt);
    else void this.notify(token, false);
  }

  private async revoke(token: StoredToken, attempt: FailedAttempt): Promise<void> {
    // Many reuses at once (a deployment still on the old secret) revoke once.
    if (this.revoking.has(token.id)) return;
    this.revoking.add(token.id);
    try {
      const revoked = await this.deps.tokens.revokeAutomatically(
        token.id,
        {
          author: '@reuse-detection',
          sourceIp: attempt.clientIp,
          proxyIp: attempt.proxyIp,
          requestId: attempt.requestId,
          method: attempt.method,
          endpoint: attempt.endpoint,
        },
        'reused',
        `Token "${token.description}" of ${token.user} revoked: a rotated secret of it was used after its grace period (tokens.revokeOnReuse)`,
      );
      if (revoked) await this.notify(token, true);
    } catch (err) {
      this.deps.log.error(`revoking token ${token.id} after reuse of a rotated secret failed`, err);
    } finally {
      this.revoking.delete(token.id);
    }
  }

  private async notify(token: StoredToken, revoked: boolean): Promise<void> {
    const now = this.deps.now();
    const last = this.lastNotice.get(token.id);
    if (!revoked && last !== undefined && now - last < NOTIFY_INTERVAL_MS) return;
    this.lastNotice.set(token.id, now);
    if (this.lastNotice.size > 10_000) this.lastNotice.clear();
    try {
      const owner = await this.deps.users.findForNotice(token.user);
      if (!owner) return;
      await this.deps.notifier.notify({
        kind: 'token.reused',
        at: now,
        owner,
        token: {
          id: token.id,
          description: token.description,
          scope: token.scope,
          expiresAt: token.expiresAt,
        },
        revoked,
      });
    } catch (err) {
      this.deps.log.error(`telling ${token.user} about reuse of a rotated secret failed`, err);
    }
  }
}
