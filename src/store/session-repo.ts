import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The web UI's session, or a browser's session on the gateway (auth.browser). */
export type SessionKind = 'ui' | 'gateway';

/** How a session's user proved who they are. */
export type SignInMethod = 'password' | 'oidc' | 'sso-header';

export interface StoredSession {
  idHash: string;
  username: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  ip: string | null;
  kind: SessionKind;
  method: SignInMethod;
  /** The OpenID provider's ID token (the logout hint) of an `oidc` session; null otherwise. */
  idToken: string | null;
}

const KINDS: readonly string[] = ['ui', 'gateway'];
const METHODS: readonly string[] = ['password', 'oidc', 'sso-header'];

export class SessionRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: StoredSession): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: s.idHash,
        username: s.username,
        csrf: s.csrf,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
        ip: s.ip,
        kind: s.kind,
        method: s.method,
        id_token: s.idToken,
      })
      .execute();
  }

  async find(idHash: string): Promise<StoredSession | null> {
    const r = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    // A kind this version does not know (a newer node's) is no session here.
    return r && KINDS.includes(r.kind)
      ? {
          idHash: r.id_hash,
          username: r.username,
          csrf: r.csrf,
          createdAt: Number(r.created_at),
          expiresAt: Number(r.expires_at),
          ip: r.ip,
          kind: r.kind as SessionKind,
          method: METHODS.includes(r.method) ? (r.method as SignInMethod) : 'password',
          idToken: r.id_token,
        }
      : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteForUser(username: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('username', '=', username).execute();
  }

  async pruneExpired(now: number): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
