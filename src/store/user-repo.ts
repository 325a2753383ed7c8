import type { Kysely, Selectable, Updateable } from 'kysely';
import type { DisabledReason, StoredUser, UserSource } from '../domain/user.js';
import type { Database, UsersTable } from './schema.js';

function toUser(r: Selectable<UsersTable>): StoredUser {
  return {
    username: r.username,
    displayName: r.display_name,
    email: r.email,
    groups: JSON.parse(r.groups) as string[],
    passwordHash: r.password_hash,
    disabled: r.disabled !== 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    source: r.source as UserSource,
    lastSignInAt: r.last_sign_in_at,
    ownerGroup: r.owner_group,
    disabledReason: r.disabled_reason as DisabledReason | null,
  };
}

export type UserPatch = Partial<
  Pick<
    StoredUser,
    'displayName' | 'email' | 'groups' | 'passwordHash' | 'disabled' | 'lastSignInAt' | 'disabledReason'
  >
>;

export class UserRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(u: StoredUser): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        username: u.username,
        display_name: u.displayName,
        email: u.email,
        groups: JSON.stringify(u.groups),
        password_hash: u.passwordHash,
        disabled: u.disabled ? 1 : 0,
        created_at: u.createdAt,
        updated_at: u.updatedAt,
        source: u.source ?? 'local',
        last_sign_in_at: u.lastSignInAt ?? null,
        owner_group: u.ownerGroup ?? null,
        disabled_reason: u.disabledReason ?? null,
      })
      .execute();
  }

  async find(username: string): Promise<StoredUser | null> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async list(): Promise<StoredUser[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(toUser);
  }

  /** The users of one source (the directory sync reads its own). */
  async listBySource(source: UserSource): Promise<StoredUser[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where('source', '=', source)
      .orderBy('username')
      .execute();
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(username: string, patch: UserPatch, at: number): Promise<boolean> {
    const set: Updateable<UsersTable> = { updated_at: at };
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.groups !== undefined) set.groups = JSON.stringify(patch.groups);
    if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    if (patch.lastSignInAt !== undefined) set.last_sign_in_at = patch.lastSignInAt;
    if (patch.disabledReason !== undefined) set.disabled_reason = patch.disabledReason;
    const r = await this.db.updateTable('users').set(set).where('username', '=', username).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Deletes the user; their tokens go with them (foreign key cascade). */
  async delete(username: string): Promise<boolean> {
    await this.db.deleteFrom('tokens').where('username', '=', username).execute();
    const r = await this.db.deleteFrom('users').where('username', '=', username).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
