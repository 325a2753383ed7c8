import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Users from the organization's directory and SSO (issue 17):
 * - `users.source`: where the user comes from (local, ldap, oidc, sso-header, service). Every
 *   existing user was made in tokengate's own table, hence the default `local`.
 * - `users.last_sign_in_at`: the last sign-in (epoch ms), so that OIDC users who stopped signing in
 *   can be suspended (identity.oidc.inactiveDays).
 * - `users.owner_group`: the group whose members manage a service account's tokens.
 * - `users.disabled_reason`: why tokengate itself disabled a user (`directory-sync`, `inactive`);
 *   null when an administrator did (every user disabled before this migration). Only a user
 *   tokengate disabled is enabled again by a sign-in the directory or identity provider vouched for.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('source', 'varchar(16)', (c) => c.notNull().defaultTo('local'))
    .execute();
  await db.schema.alterTable('users').addColumn('last_sign_in_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('owner_group', 'varchar(64)').execute();
  await db.schema.alterTable('users').addColumn('disabled_reason', 'varchar(32)').execute();
}
