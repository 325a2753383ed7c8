import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Sessions of two kinds, and how each was opened (issue 17):
 * - `sessions.kind`: `ui` (the web UI's session, cookie on the admin listener) or `gateway` (a
 *   browser signed in through the gateway's SSO, `auth.browser`). A cookie of one kind never opens
 *   the other. Every existing session is the UI's.
 * - `sessions.method`: how the user proved who they are (`password`, `oidc`, `sso-header`).
 * - `sessions.id_token`: the OpenID provider's ID token of an `oidc` session, the `id_token_hint` of
 *   RP-initiated logout. Kept here rather than in one node's memory, so that a sign-out on any node,
 *   or after a restart, still names the session to the provider. Never sent to a browser.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('ui'))
    .execute();
  await db.schema
    .alterTable('sessions')
    .addColumn('method', 'varchar(16)', (c) => c.notNull().defaultTo('password'))
    .execute();
  await db.schema.alterTable('sessions').addColumn('id_token', 'text').execute();
}
