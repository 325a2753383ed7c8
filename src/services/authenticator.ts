import { createHmac, randomBytes } from 'node:crypto';
import { parseAuthorization } from '../domain/credentials.js';
import { AppError } from '../domain/errors.js';
import type { Principal } from '../domain/permissions.js';
import { DENIAL_MESSAGES, decideToken } from '../domain/token-decision.js';
import { isOurToken } from '../domain/gateway-decision.js';
import { hashToken } from '../domain/token-hash.js';
import { READ_METHODS } from '../domain/token.js';
import type { StoredUser } from '../domain/user.js';
import type { ChangeFeed } from './change-feed.js';
import type { CredentialCache } from './credential-cache.js';
import { LruCache } from './lru.js';
import type { SettingsService } from './settings-service.js';
import type { UserService } from './user-service.js';

/** The challenges a 401 from the management API carries. */
export const WWW_AUTHENTICATE = ['Basic realm="tokengate", charset="UTF-8"', 'Bearer realm="tokengate"'];

/** Verified passwords are remembered this long, so a script's burst of calls costs one scrypt. */
const PASSWORD_CACHE_MS = 60_000;

function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message);
}

/**
 * Authenticates calls to the management API with a token (Bearer, or Basic user:token) or with the
 * directory password (Basic). Token checks are the same pure decision the gateway uses.
 */
export class ManagementAuthenticator {
  private readonly passwordKey = randomBytes(32);
  private readonly passwords = new LruCache<string, string>(1_000, PASSWORD_CACHE_MS);

  constructor(
    private readonly cache: CredentialCache,
    private readonly settings: SettingsService,
    private readonly users: UserService,
    feed: ChangeFeed,
    private readonly now: () => number,
  ) {
    // Any change to a user (password, groups, disabled) forgets their remembered passwords.
    feed.subscribe((c) => {
      if (c.kind === 'user') this.passwords.clear();
    });
  }

  async authenticate(
    authorization: string | undefined,
    method: string,
    clientIp: string,
  ): Promise<Principal> {
    const creds = parseAuthorization(authorization);
    if (creds.kind === 'none')
      throw unauthorized(
        'authentication required: use Basic with your password or a token, or Bearer with a token',
      );
    if (creds.kind === 'malformed') throw unauthorized(`malformed Authorization header: ${creds.reason}`);
    const { settings, allowedIps } = this.settings.snapshot;
    if (isOurToken(creds.secret, this.settings.snapshot.tokenPrefixes)) {
      return this.byToken(creds.secret, creds.kind === 'basic' ? creds.username : null, method, clientIp);
    }
    if (creds.kind === 'bearer') throw unauthorized('the Bearer value is not a tokengate token');
    if (!settings['auth.basicPasswords']) {
      throw unauthorized('password authentication is disabled (auth.basicPasswords); use a token');
    }
    const user = await this.byPassword(creds.username, creds.secret);
    if (!user) throw unauthorized('invalid user name or password');
    if (!allowedIps.matches(clientIp))
      throw new AppError('forbidden', `the client IP ${clientIp} is not allowed (auth.allowedIps)`);
    return { username: user.username, groups: user.groups, via: 'password' };
  }

  private async byToken(
    secret: string,
    basicUser: string | null,
    method: string,
    clientIp: string,
  ): Promise<Principal> {
    const now = this.now();
    const entry = await this.cache.token(hashToken(secret), now);
    const owner = entry ? await this.cache.user(entry.token.user, now) : null;
    const snap = this.settings.snapshot;
    const d = decideToken({
      token: entry?.token ?? null,
      tokenIps: entry?.allowedIps ?? snap.allowedIps,
      owner,
      basicUser,
      readRequest: READ_METHODS.has(method),
      clientIp,
      now,
      settings: snap.settings,
      globalIps: snap.allowedIps,
    });
    if (!d.ok) {
      const message = `token authentication failed: ${DENIAL_MESSAGES[d.reason]}`;
      if (d.status === 401) throw unauthorized(message);
      throw new AppError(
        'forbidden',
        d.reason === 'read-only' ? `${message}; the method was ${method}` : message,
      );
    }
    return {
      username: d.user.username,
      groups: d.user.groups,
      via: 'token',
      tokenId: d.token.id,
      tokenScope: d.token.scope,
    };
  }

  private async byPassword(username: string, password: string): Promise<StoredUser | null> {
    const key = createHmac('sha256', this.passwordKey)
      .update(username)
      .update('\0')
      .update(password)
      .digest('base64');
    const now = this.now();
    const remembered = this.passwords.get(key, now);
    if (remembered !== undefined) {
      const u = await this.cache.user(remembered, now);
      if (u && !u.disabled) return u;
    }
    const user = await this.users.verifyPassword(username, password);
    if (user) this.passwords.set(key, user.username, now);
    return user;
  }
}
