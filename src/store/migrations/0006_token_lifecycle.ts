import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The token life cycle (docs/tokens.md, "Life cycle"):
 * - `token_rotations`: the hashes a token had before each rotation. A secret found here is an old
 *   one: it still works until `valid_until` (the grace period), and later use is reuse of a rotated
 *   token. Rows go with their token.
 * - `tokens.rotated_at`: when the secret was last rotated.
 * - `tokens.expiry_warned_at`: when the owner was warned that the token expires soon; a warning is
 *   sent once per token (a rotation or a new expiry does not reset it: the token keeps its expiry).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('token_rotations')
    .addColumn('hash', 'char(64)', (c) => c.primaryKey())
    .addColumn('token_id', 'varchar(32)', (c) => c.notNull().references('tokens.id').onDelete('cascade'))
    .addColumn('rotated_at', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('token_rotations_token').on('token_rotations').column('token_id').execute();
  await db.schema.alterTable('tokens').addColumn('rotated_at', 'bigint').execute();
  await db.schema.alterTable('tokens').addColumn('expiry_warned_at', 'bigint').execute();
}
