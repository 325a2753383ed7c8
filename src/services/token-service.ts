import { randomBase62 } from '../domain/token/base62.js';
import { maskTokens, type AuditEvent, type RequestContext } from '../domain/audit/audit.js';
import { AppError } from '../domain/errors.js';
import { hasPermission, isAdmin, type Principal } from '../domain/auth/permissions.js';
import { generateToken } from '../domain/token/format.js';
import { hashToken } from '../domain/token/hash.js';
import { checkDescription, grantToken, type TokenRequest } from '../domain/token/policy.js';
import type { Settings } from '../domain/settings.js';
import type { StoredToken, TokenRecord } from '../domain/token/token.js';
import type { Store } from '../store/store.js';
import type { TokenCursor, TokenFilter } from '../store/token-repo.js';
import { makeAudit, systemContext, type ServiceDeps } from './context.js';
import type { SettingsService } from './settings-service.js';

export const TOKEN_ID_PREFIX = 'tok_';

export interface CreatedToken {
  /** The plain token. Returned here once; it is never stored or shown again. */
  token: string;
  record: TokenRecord;
}

export interface TokenPage {
  items: TokenRecord[];
  next: TokenCursor | null;
}

/** Strips the hash: what leaves this service is a record, never the stored form. */
function record(t: StoredToken): TokenRecord {
  const { hash: _hash, rotatedSecretValidUntil: _old, ...rest } = t;
  return rest;
}

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
 * Who receives the new secret when a token rotates itself: whoever presented a secret of it. The
 * request does not say which one, so when the current and the former secrets still in their grace
 * period were handed to different people, the holder is unknown (null), never the owner by default:
 * else a manager's copy could launder itself into the owner's name.
 */
async function selfRotationHolder(tx: Store, t: StoredToken, now: number): Promise<string | null> {
  const holders = new Set([t.secretIssuedBy, ...(await tx.tokens.formerHolders(t.id, now))]);
  return holders.size === 1 ? t.secretIssuedBy : null;
}

/**
 * Token life cycle with its authorization rules: who may create, see, change and revoke which token.
 * The CLI and the REST API both come through here, so the rules hold for both.
 */
export class TokenService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly settings: SettingsService,
  ) {}

  private canManage(p: Principal): boolean {
    return hasPermission(p, 'manageAllTokens', this.settings.current);
  }

  /** Creates a token for `owner`. Creating for someone else needs `manageAllTokens`. */
  async create(p: Principal, ctx: RequestContext, owner: string, req: TokenRequest): Promise<CreatedToken> {
    const settings = this.settings.current;
    const self = p.username === owner;
    if (self ? !hasPermission(p, 'createOwnTokens', settings) : !this.canManage(p)) {
      throw new AppError(
        'forbidden',
        self
          ? 'you may not create tokens (permissions.createOwnTokens)'
          : "creating another user's token needs manageAllTokens",
      );
    }
    if (p.via === 'token') {
      // As in Atlassian Data Center: a token cannot mint tokens, or a narrow one could mint a wide one.
      throw new AppError(
        'forbidden',
        'tokens cannot create tokens: sign in with a password (or the web UI) to create one',
      );
    }
    const now = this.deps.now();
    const grant = grantToken(req, settings, now, self);
    const plain = generateToken(settings['tokens.prefix']);
    const stored: StoredToken = {
      id: TOKEN_ID_PREFIX + randomBase62(16),
      hash: hashToken(plain),
      user: owner,
      description: grant.description,
      scope: grant.scope,
      createdAt: now,
      createdBy: p.username,
      expiresAt: grant.expiresAt,
      lastUsedAt: null,
      lastUsedIp: null,
      allowedIps: grant.allowedIps,
      rateLimit: grant.rateLimit,
      revokedAt: null,
      revokedBy: null,
      secretIssuedBy: p.username,
    };
    const audit = makeAudit(this.deps, ctx, now);
    await this.deps.store.transaction(async (tx) => {
      const user = await tx.users.find(owner);
      if (!user) throw new AppError('not_found', `user ${maskTokens(owner)} does not exist`);
      if (user.disabled) throw new AppError('conflict', `user ${owner} is disabled`);
      if (!self && !isAdmin(p) && isAdmin(user)) {
        // A token manager must not be able to act as an administrator through an admin's token.
        throw new AppError(
          'forbidden',
          `only the admin group may create tokens for ${owner}, a member of the admin group`,
        );
      }
      await tx.lockUser(owner);
      const max = settings['tokens.maxPerUser'];
      if ((await tx.tokens.countActive(owner, now)) >= max) {
        throw new AppError(
          'policy_violation',
          `${owner} already has ${max} active tokens, the most allowed (tokens.maxPerUser); revoke one first`,
          { limit: 'tokens.maxPerUser', maxPerUser: max },
        );
      }
      await tx.tokens.insert(stored);
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.created',
          summary: self
            ? `Token "${stored.description}" created by ${owner}`
            : `Token "${stored.description}" created for ${owner} by ${p.username}`,
          affectedUser: owner,
          tokenId: stored.id,
          tokenDescription: stored.description,
          details: {
            scope: stored.scope,
            expiresAt: stored.expiresAt === null ? null : new Date(stored.expiresAt).toISOString(),
            allowedIps: stored.allowedIps,
            rateLimit: stored.rateLimit,
          },
        }),
      ]);
    });
    return { token: plain, record: record(stored) };
  }

  /** The caller's own tokens, every status, newest first. */
  async listOwn(p: Principal): Promise<TokenRecord[]> {
    const rows = await this.deps.store.tokens.search({ user: p.username }, this.deps.now(), 10_000);
    return rows.map(record);
  }

  /** The token manager's search across all users. */
  async search(p: Principal, filter: TokenFilter, limit: number, after?: TokenCursor): Promise<TokenPage> {
    if (!this.canManage(p)) throw new AppError('forbidden', 'listing all tokens needs manageAllTokens');
    const rows = await this.deps.store.tokens.search(filter, this.deps.now(), limit + 1, after);
    const items = rows.slice(0, limit).map(record);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
  }

  /**
   * A token the caller may see: their own, or any with `manageAllTokens` (when `asManager`).
   * Someone else's token is reported as missing, so ids cannot be probed.
   */
  async get(p: Principal, id: string, asManager = false): Promise<TokenRecord> {
    return record(await this.visible(p, id, asManager));
  }

  async updateDescription(
    p: Principal,
    ctx: RequestContext,
    id: string,
    description: string,
    asManager = false,
  ): Promise<TokenRecord> {
    const desc = checkDescription(description);
    const t = await this.visible(p, id, asManager);
    if (t.description === desc) return record(t);
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    await this.deps.store.transaction(async (tx) => {
      await tx.tokens.updateDescription(id, desc);
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.updated',
          summary: `Token "${desc}" of ${t.user}: description changed`,
          affectedUser: t.user,
          tokenId: id,
          tokenDescription: desc,
          details: { oldDescription: t.description, newDescription: desc },
        }),
      ]);
      await tx.changes.record('token', [id], now);
    });
    this.deps.feed.publish('token', [id]);
    return { ...record(t), description: desc };
  }

  /**
   * Rotates a token: a new secret for the same record (scope, IPs, limits, description and expiry
   * kept). The old secret works `graceSeconds` longer (default tokens.rotationGraceSeconds), then
   * its use is reuse of a rotated token (RotationReuse). Who may: the owner signed in with a
   * password or a session; the token itself when it has write scope; a token manager
   * (`asManager`), for an admin's token only as an admin. Returns the new secret, shown once.
   */
  async rotate(
    p: Principal,
    ctx: RequestContext,
    id: string,
    graceSeconds?: number,
    asManager = false,
  ): Promise<CreatedToken> {
    const settings = this.settings.current;
    const t = await this.visible(p, id, asManager);
    if (p.via === 'token' && p.tokenId !== id) {
      throw new AppError(
        'forbidden',
        'a token can rotate only itself: sign in with a password (or the web UI) to rotate another token',
      );
    }
    if (p.via === 'token' && p.tokenScope !== 'write')
      throw new AppError('forbidden', 'a token needs write scope to rotate itself');
    const now = this.deps.now();
    if (t.revokedAt !== null) throw new AppError('conflict', `token ${id} is revoked and cannot be rotated`);
    if (t.expiresAt !== null && t.expiresAt <= now)
      throw new AppError('conflict', `token ${id} has expired and cannot be rotated`);
    const grace = graceSeconds ?? settings['tokens.rotationGraceSeconds'];
    const plain = generateToken(settings['tokens.prefix']);
    const hash = hashToken(plain);
    const validUntil = now + grace * 1000;
    const audit = makeAudit(this.deps, ctx, now);
    const issuedTo = await this.deps.store.transaction(async (tx) => {
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
    this.deps.feed.publish('token', [id]);
    return { token: plain, record: { ...record(t), rotatedAt: now, secretIssuedBy: issuedTo } };
  }

  /** Revokes one token. Revoking a revoked token changes nothing and writes no audit record. */
  async revoke(p: Principal, ctx: RequestContext, id: string, asManager = false): Promise<TokenRecord> {
    const t = await this.visible(p, id, asManager);
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const done = await this.deps.store.transaction(async (tx) => {
      if (!(await tx.tokens.revoke(id, now, p.username))) return false;
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.revoked',
          summary:
            p.username === t.user
              ? `Token "${t.description}" revoked by ${t.user}`
              : `Token "${t.description}" of ${t.user} revoked by ${p.username}`,
          affectedUser: t.user,
          tokenId: id,
          tokenDescription: t.description,
          details: { scope: t.scope },
        }),
      ]);
      await tx.changes.record('token', [id], now);
      return true;
    });
    if (done) this.deps.feed.publish('token', [id]);
    return done ? { ...record(t), revokedAt: now, revokedBy: p.username } : record(t);
  }

  /** Revokes every token of a user at once; one audit record per token. Returns how many were revoked. */
  async revokeAllOfUser(p: Principal, ctx: RequestContext, owner: string): Promise<string[]> {
    if (!this.canManage(p))
      throw new AppError('forbidden', "revoking another user's tokens needs manageAllTokens");
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const ids = await this.deps.store.transaction(async (tx) => {
      if (!(await tx.users.find(owner)))
        throw new AppError('not_found', `user ${maskTokens(owner)} does not exist`);
      const revoked = await tx.tokens.revokeAllOfUser(owner, now, p.username);
      await tx.audit.append(
        revoked.map((t) =>
          audit({
            category: 'tokens',
            action: 'token.revoked',
            summary: `Token "${t.description}" of ${owner} revoked by ${p.username} (all tokens of the user)`,
            affectedUser: owner,
            tokenId: t.id,
            tokenDescription: t.description,
            details: { scope: t.scope, bulk: true, count: revoked.length },
          }),
        ),
      );
      const revokedIds = revoked.map((t) => t.id);
      await tx.changes.record('token', revokedIds, now);
      return revokedIds;
    });
    this.deps.feed.publish('token', ids);
    return ids;
  }

  /**
   * Revokes a token without a user asking: a leak report, reuse of a rotated secret, or disuse. The
   * audit record (`token.revoked`) names the reason and its details (e.g. the URL where a leak was
   * found); `by` is who or what revoked it (`@secret-scanning`, `@lifecycle`…). Returns the token as
   * it was, or null when it was already revoked or does not exist.
   */
  async revokeAutomatically(
    id: string,
    ctx: RequestContext,
    reason: 'leaked' | 'reused' | 'unused',
    summary: string,
    details: Record<string, unknown> = {},
  ): Promise<StoredToken | null> {
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const t = await this.deps.store.transaction(async (tx) => {
      const token = await tx.tokens.findById(id);
      if (!token || !(await tx.tokens.revoke(id, now, ctx.author))) return null;
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.revoked',
          summary,
          affectedUser: token.user,
          tokenId: id,
          tokenDescription: token.description,
          details: { reason, scope: token.scope, ...details },
        }),
      ]);
      await tx.changes.record('token', [id], now);
      return token;
    });
    if (t) this.deps.feed.publish('token', [id]);
    return t;
  }

  /**
   * After a settings change: every user whose groups now grant more management powers (e.g. their
   * group joined permissions.manageAllTokens) loses the tokens someone else created for them
   * ({@link revokeOnWidening}). Safe to run on every node: a token is revoked and audited once.
   */
  async revokeOnSettingsWidening(before: Settings, after: Settings): Promise<string[]> {
    if (
      JSON.stringify(before['permissions.manageAllTokens']) ===
      JSON.stringify(after['permissions.manageAllTokens'])
    )
      return [];
    const now = this.deps.now();
    const audit = makeAudit(this.deps, systemContext('@system'), now);
    const ids: string[] = [];
    for (const u of await this.deps.store.users.list()) {
      const gained = gainedPowers(managementPowers(u.groups, before), managementPowers(u.groups, after));
      if (gained.length === 0) continue;
      const cause = `permissions.manageAllTokens now ${JSON.stringify(after['permissions.manageAllTokens'])}`;
      ids.push(
        ...(await this.deps.store.transaction((tx) =>
          revokeOnWidening(tx, audit, u.username, gained, cause, now),
        )),
      );
    }
    if (ids.length > 0) this.deps.feed.publish('token', ids);
    return ids;
  }

  private async visible(p: Principal, id: string, asManager: boolean): Promise<StoredToken> {
    const t = await this.deps.store.tokens.findById(id);
    const allowed = t !== null && (t.user === p.username || (asManager && this.canManage(p)));
    if (!t || !allowed) throw new AppError('not_found', `token ${maskTokens(id)} does not exist`);
    return t;
  }
}
