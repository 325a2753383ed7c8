import type { AuditEvent } from '../domain/audit/audit.js';
import { hasPermission, isAdmin } from '../domain/auth/permissions.js';
import type { Settings } from '../domain/settings.js';
import type { Store } from '../store/store.js';
import { makeAudit, systemContext, type ServiceDeps } from './context.js';

/** What a user may manage beyond their own tokens, and so what a token of theirs may do. */
export interface ManagementPowers {
  admin: boolean;
  manageAllTokens: boolean;
}

export function managementPowers(groups: readonly string[], settings: Settings): ManagementPowers {
  const p = { groups };
  return { admin: isAdmin(p), manageAllTokens: hasPermission(p, 'manageAllTokens', settings) };
}

/** The powers held after and not before; empty when nothing widened. */
export function gainedPowers(before: ManagementPowers, after: ManagementPowers): string[] {
  return (Object.keys(after) as Array<keyof ManagementPowers>).filter((k) => after[k] && !before[k]);
}

/**
 * Whether `who` may hold a copy of a token of `owner` without being `owner`: a manager or admin who
 * created it or was handed a secret of it. null (a holder tokengate did not record) counts; the
 * local command line (`@cli`) and other system authors do not, as they may do anything.
 */
function otherHolder(owner: string, who: string | null): boolean {
  return who === null || (who !== owner && !who.startsWith('@'));
}

const holderName = (who: string | null): string => who ?? 'an unrecorded holder';

/**
 * Revokes, in the caller's transaction, the active tokens of `owner` that someone else may hold a
 * copy of, because the owner has just gained management powers: those someone else created (a
 * token manager, an admin), those whose current secret a rotation handed to someone else, and those
 * with a former secret of someone else's still in its grace period. That someone could not have
 * granted those powers (a manager cannot create or rotate tokens for an admin): the token must not
 * gain them (issue 14 finding 7, red team F2). Tokens only the owner (or `@cli`) ever held stay.
 * Each revocation is audited with the reason `promoted` and who held what. Returns the revoked ids.
 */
export async function revokeOnWidening(
  tx: Store,
  audit: (e: Parameters<ReturnType<typeof makeAudit>>[0]) => AuditEvent,
  owner: string,
  gained: readonly string[],
  cause: string,
  now: number,
): Promise<string[]> {
  const active = await tx.tokens.search({ user: owner, status: 'active' }, now, 100_000);
  const revoked: string[] = [];
  for (const t of active) {
    const former = (await tx.tokens.formerHolders(t.id, now)).filter((w) => otherHolder(owner, w));
    const why: string[] = [];
    if (otherHolder(owner, t.createdBy)) why.push(`the token was created by ${t.createdBy}`);
    if (otherHolder(owner, t.secretIssuedBy))
      why.push(`its current secret was issued to ${holderName(t.secretIssuedBy)}`);
    if (former.length > 0)
      why.push(
        `a former secret still in its grace period was issued to ${[...new Set(former.map(holderName))].join(' and ')}`,
      );
    if (why.length === 0) continue;
    if (!(await tx.tokens.revoke(t.id, now, '@system'))) continue;
    revoked.push(t.id);
    await tx.audit.append([
      audit({
        category: 'tokens',
        action: 'token.revoked',
        summary: `Token "${t.description}" of ${owner} revoked: ${owner} gained ${gained.join(' and ')} (${cause}), and ${why.join(', and ')}`,
        affectedUser: owner,
        tokenId: t.id,
        tokenDescription: t.description,
        details: {
          reason: 'promoted',
          gained,
          cause,
          createdBy: t.createdBy,
          secretIssuedBy: t.secretIssuedBy,
          formerSecretsIssuedTo: former,
          scope: t.scope,
        },
      }),
    ]);
  }
  if (revoked.length > 0) await tx.changes.record('token', revoked, now);
  return revoked;
}

/**
 * After a settings change: every user whose groups now grant more management powers (e.g. their
 * group joined permissions.manageAllTokens) loses the tokens someone else created for them
 * ({@link revokeOnWidening}). Safe to run on every node: a token is revoked and audited once.
 */
export async function revokeOnSettingsWidening(
  deps: ServiceDeps,
  before: Settings,
  after: Settings,
): Promise<string[]> {
  if (
    JSON.stringify(before['permissions.manageAllTokens']) ===
    JSON.stringify(after['permissions.manageAllTokens'])
  )
    return [];
  const now = deps.now();
  const audit = makeAudit(deps, systemContext('@system'), now);
  const ids: string[] = [];
  for (const u of await deps.store.users.list()) {
    const gained = gainedPowers(managementPowers(u.groups, before), managementPowers(u.groups, after));
    if (gained.length === 0) continue;
    const cause = `permissions.manageAllTokens now ${JSON.stringify(after['permissions.manageAllTokens'])}`;
    ids.push(
      ...(await deps.store.transaction((tx) => revokeOnWidening(tx, audit, u.username, gained, cause, now))),
    );
  }
  if (ids.length > 0) deps.feed.publish('token', ids);
  return ids;
}
