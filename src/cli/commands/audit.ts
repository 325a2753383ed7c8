import type { Command } from 'commander';
import { AUDIT_CATEGORIES, isAuditCategory } from '../../domain/audit.js';
import { invalidField } from '../../domain/errors.js';
import { withApp, type GlobalOptions } from '../context.js';
import { printTable, type Io } from '../output.js';

export function auditCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('read the audit log');
  audit
    .command('list')
    .description('the newest audit records')
    .option('--limit <n>', 'how many records (1-10000)', '50')
    .option('--token <id>', 'only records about this token')
    .option('--category <name>', `only this category: ${AUDIT_CATEGORIES.join(', ')}`)
    .option('--json', 'print JSON lines, one record per line')
    .action(async (o: { limit: string; json?: boolean; token?: string; category?: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw invalidField('--limit', 'must be an integer from 1 to 10000');
      const category = o.category;
      if (category !== undefined && !isAuditCategory(category)) {
        throw invalidField('--category', `must be one of ${AUDIT_CATEGORIES.join(', ')}`);
      }
      await withApp(io, globals(), async (ctx) => {
        const records = await ctx.store.audit.list({
          limit,
          ...(o.token !== undefined ? { tokenId: o.token } : {}),
          ...(category !== undefined ? { category } : {}),
        });
        if (o.json) {
          for (const r of records) io.out(JSON.stringify({ ...r, ts: new Date(r.ts).toISOString() }));
          return;
        }
        if (records.length === 0) {
          io.err('no audit records');
          return;
        }
        printTable(
          io,
          ['DATE (UTC)', 'AUTHOR', 'CATEGORY', 'ACTION', 'TOKEN', 'SOURCE IP', 'SUMMARY'],
          records.map((r) => [
            new Date(r.ts).toISOString(),
            r.author,
            r.category,
            r.action,
            r.tokenId ?? '-',
            r.sourceIp ?? '-',
            r.summary,
          ]),
        );
      });
    });
}
