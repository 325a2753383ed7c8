import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoredSession {
  idHash: string;
  username: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  ip: string | null;
}

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
      })
      .execute();
  }

  async find(idHash: string): Promise<StoredSession | null> {
    const r = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return r
      ? {
          idHash: r.id_hash,
          username: r.username,
          csrf: r.csrf,
          createdAt: Number(r.created_at),
          expiresAt: Number(r.expires_at),
          ip: r.ip,
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
