import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { DialectName } from '../dialect.js';

/**
 * Who was handed each secret (docs/tokens.md, "Management powers"), so that a token never gains
 * management powers its holders could not have granted (issue 14 finding 7, red team F2):
 * - `tokens.secret_issued_by`: who received the current secret, the creator at creation and the
 *   rotator at each rotation.
 * - `token_rotations.issued_by`: who received that former secret, still theirs in its grace period.
 *
 * NULL means unknown: a token rotated before this migration, whose rotator was not recorded. An
 * unknown holder counts as someone other than the owner, so such a token is revoked when its owner
 * gains management powers. Tokens never rotated were handed to their creator.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('secret_issued_by', 'varchar(64)').execute();
  await db.schema.alterTable('token_rotations').addColumn('issued_by', 'varchar(64)').execute();
  await sql`update tokens set secret_issued_by = created_by where rotated_at is null`.execute(db);
}
