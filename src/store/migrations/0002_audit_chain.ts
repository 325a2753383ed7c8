import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import { canonicalJson, GENESIS_HASH, recordHash } from '../../domain/audit/chain.js';
import type { DialectName } from '../dialect.js';

interface OldRow {
  id: number;
  ts: number;
  category: string;
  action: string;
  summary: string;
  author: string;
  affected_user: string | null;
  token_id: string | null;
  token_description: string | null;
  source_ip: string | null;
  proxy_ip: string | null;
  node_id: string | null;
  request_id: string | null;
  method: string | null;
  endpoint: string | null;
  outcome: string | null;
  details: string | null;
}

/**
 * The audit log's hash chain (seq, prev_hash, hash), its head and retention checkpoints, the
 * per-node shipping cursors of the SIEM outputs, and the indexes the audit search uses. Records
 * written before this migration are chained here, in id order.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('seq', 'bigint').execute();
  await db.schema.alterTable('audit_log').addColumn('prev_hash', 'char(64)').execute();
  await db.schema.alterTable('audit_log').addColumn('hash', 'char(64)').execute();

  await db.schema
    .createTable('audit_chain')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'char(64)', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', 'char(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('purged', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('audit_shipping')
    .addColumn('node_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('output', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_shipping_pk', ['node_id', 'output'])
    .execute();

  // Chain what is already there.
  const rows = (await sql<OldRow>`select * from audit_log order by id`.execute(db)).rows;
  let prev = GENESIS_HASH;
  let seq = 0;
  for (const r of rows) {
    seq++;
    const detailsText = r.details === null ? null : canonicalJson(JSON.parse(r.details));
    const hash = recordHash(prev, {
      ts: Number(r.ts),
      category: r.category,
      action: r.action,
      summary: r.summary,
      author: r.author,
      affectedUser: r.affected_user,
      tokenId: r.token_id,
      tokenDescription: r.token_description,
      sourceIp: r.source_ip,
      proxyIp: r.proxy_ip,
      nodeId: r.node_id,
      requestId: r.request_id,
      method: r.method,
      endpoint: r.endpoint,
      outcome: r.outcome,
      detailsText,
    });
    await sql`update audit_log set seq = ${seq}, prev_hash = ${prev}, hash = ${hash}, details = ${detailsText} where id = ${r.id}`.execute(
      db,
    );
    prev = hash;
  }
  await sql`insert into audit_chain (id, seq, hash) values (1, ${seq}, ${prev})`.execute(db);

  await db.schema.createIndex('audit_seq').on('audit_log').column('seq').unique().execute();
  await db.schema.createIndex('audit_author_seq').on('audit_log').columns(['author', 'seq']).execute();
  await db.schema
    .createIndex('audit_affected_seq')
    .on('audit_log')
    .columns(['affected_user', 'seq'])
    .execute();
  await db.schema
    .createIndex('audit_category_seq')
    .on('audit_log')
    .columns(['category', 'action', 'seq'])
    .execute();
  await db.schema.createIndex('audit_source_ip_seq').on('audit_log').columns(['source_ip', 'seq']).execute();
  await db.schema.createIndex('audit_proxy_ip_seq').on('audit_log').columns(['proxy_ip', 'seq']).execute();
  await db.schema.createIndex('audit_node_seq').on('audit_log').columns(['node_id', 'seq']).execute();
}
