import type { RequestContext } from '../domain/audit/audit.js';
import { AppError } from '../domain/errors.js';
import { isAdmin, type Principal } from '../domain/auth/permissions.js';
import { generateToken } from '../domain/token/format.js';
import { hashToken } from '../domain/token/hash.js';
import type { StoredToken } from '../domain/token/token.js';
import type { Store } from '../store/store.js';
import { makeAudit, type ServiceDeps } from './context.js';
import type { SettingsService } from './settings-service.js';
import { findVisibleToken, toRecord, type CreatedToken } from './token-access.js';

/**
 * Who receives the new secret when a token rotates itself: whoever presented a secret of it. The
 * request does not say which one, so when the current and the former secrets still in their grace
 * period were handed to different people, the holder is unknown (null), never the owner by default:
 * else a manager's copy could launder itself into the owner's name.
 */
async function selfRotationHolder(tx: Store, t: StoredToken, now: number): Promise<string | null> {
  const holders = new Set([t.secretIssuedBy, ...(await tx.tokens.formerHolders(t.id, now))]);
  return holders.size === 1 ? t.secretIssuedBy : null;
}

/** Refuses a rotation by a token other than the one rotated, or by a read-only token. */
function checkTokenMayRotate(p: Principal, id: string): void {
  if (p.via === 'token' && p.tokenId !== id) {
    throw new AppError(
      'forbidden',
      'a token can rotate only itself: sign in with a password (or the web UI) to rotate another token',
    );
  }
  if (p.via === 'token' && p.tokenScope !== 'write')
    throw new AppError('forbidden', 'a token needs write scope to rotate itself');
}

/** Refuses rotating a token that no longer works. */
function checkRotatable(t: StoredToken, id: string, now: number): void {
  if (t.revokedAt !== null) throw new AppError('conflict', `token ${id} is revoked and cannot be rotated`);
  if (t.expiresAt !== null && t.expiresAt <= now)
    throw new AppError('conflict', `token ${id} has expired and cannot be rotated`);
}

/**
 * Rotates a token: a new secret for the same record (scope, IPs, limits, description and expiry
 * kept). The old secret works `graceSeconds` longer (default tokens.rotationGraceSeconds), then
 * its use is reuse of a rotated token (RotationReuse). Who may: the owner signed in with a
 * password or a session; the token itself when it has write scope; a token manager
 * (`asManager`), for an admin's token only as an admin; a member of a service account's owning
 * group, for its tokens (`asManager`). Returns the new secret, shown once.
 */
export async function rotateToken(
  deps: ServiceDeps,
  settingsService: SettingsService,
  p: Principal,
  ctx: RequestContext,
  id: string,
  graceSeconds: number | undefined,
  asManager: boolean,
): Promise<CreatedToken> {
  const settings = settingsService.current;
  const t = await findVisibleToken(deps.store, settingsService, p, id, asManager);
  checkTokenMayRotate(p, id);
  const now = deps.now();
  checkRotatable(t, id, now);
  const grace = graceSeconds ?? settings['tokens.rotationGraceSeconds'];
  const plain = generateToken(settings['tokens.prefix']);
  const hash = hashToken(plain);
  const validUntil = now + grace * 1000;
  const audit = makeAudit(deps, ctx, now);
  const issuedTo = await deps.store.transaction(async (tx) => {
    if (p.username !== t.user && !isAdmin(p)) {
      const owner = await tx.users.find(t.user);
      if (owner && isAdmin(owner)) {
        throw new AppError(
          'forbidden',
          `only the admin group may rotate tokens of ${t.user}, a member of the admin group`,
        );
      }
    }
    // The new secret goes to the rotator; a token rotating itself stays with whoever held it.
    const to = p.via === 'token' ? await selfRotationHolder(tx, t, now) : p.username;
    if (!(await tx.tokens.rotate(id, t.hash, hash, now, validUntil, to))) {
      throw new AppError('conflict', `token ${id} changed meanwhile (revoked or rotated); try again`);
    }
    await tx.audit.append([
      audit({
        category: 'tokens',
        action: 'token.rotated',
        summary:
          p.username === t.user
            ? `Token "${t.description}" of ${t.user} rotated by ${t.user}`
            : `Token "${t.description}" of ${t.user} rotated by ${p.username}`,
        affectedUser: t.user,
        tokenId: id,
        tokenDescription: t.description,
        details: {
          graceSeconds: grace,
          oldSecretValidUntil: new Date(validUntil).toISOString(),
          via: p.via,
          secretIssuedTo: to,
        },
      }),
    ]);
    await tx.changes.record('token', [id], now);
    return to;
  });
  deps.feed.publish('token', [id]);
  return { token: plain, record: { ...toRecord(t), rotatedAt: now, secretIssuedBy: issuedTo } };
}
