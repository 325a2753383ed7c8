import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseAnchors, type Anchor } from '../../audit/anchors.js';
import { describePurge, describePurgedAnchors, verifyAuditChain } from '../../audit/verify.js';
import { invalidField } from '../../domain/errors.js';
import { localOnly, withApp, type GlobalOptions } from '../context.js';
import { CliError } from '../exit-codes.js';
import { outputFormat, printJson, type Io } from '../output.js';
import { progressFor } from '../progress.js';

/** `audit verify`: walks the hash chain and reports the first problem. */
export function verifyCommand(audit: Command, io: Io, globals: () => GlobalOptions): void {
  audit
    .command('verify')
    .description(
      'walk the hash chain, list the retention purges it passes, check it against the chain-head anchors, and report the first record that was modified, deleted or reordered (exit 1 if so)',
    )
    .option(
      '--anchors <file>',
      "an anchor file to check against (default: this node's audit.anchorFile, when it exists)",
    )
    .action(async (o: { anchors?: string }) => {
      const format = outputFormat(io, globals().output);
      if (o.anchors === '') throw invalidField('--anchors', 'must name a file');
      await localOnly(io, globals(), 'audit verify');
      const broken = await withApp(io, globals(), async (ctx) => {
        const file = o.anchors ?? ctx.config.audit.anchorFile;
        const anchors = await readAnchorFile(file, o.anchors !== undefined);
        if (anchors && anchors.unreadable > 0)
          io.err(`tokengate: ${anchors.unreadable} line(s) of ${file} are not anchors and were skipped`);
        const progress = progressFor(io, (k) => `verifying: ${k} records checked`);
        const r = await verifyAuditChain(ctx.store, {
          onProgress: (k) => progress.update(k),
          ...(anchors ? { anchors: anchors.anchors } : {}),
        });
        progress.clear();
        if (format === 'json') {
          printJson(io, { ...r, anchorFile: anchors ? file : null });
          return r.problem !== null;
        }
        for (const p of r.purges) io.out(describePurge(p));
        const anchorNote = anchors
          ? [
              `; ${r.anchorsChecked} of ${r.anchors} anchor(s) in ${file} matched`,
              ...describePurgedAnchors(r.anchorsPurged),
            ].join('; ')
          : '';
        if (r.problem) {
          io.out(`audit chain broken at seq ${r.problem.seq}: ${r.problem.kind}: ${r.problem.message}`);
          return true;
        }
        if (r.checked === 0) {
          io.out(`audit chain verified: 0 records (the audit log is empty)${anchorNote}`);
          return false;
        }
        const first = r.fromSeq + 1;
        const last = r.headSeq ?? r.fromSeq + r.checked;
        const checkpoint =
          r.fromSeq > 0 ? ` (continuing from the retention checkpoint at seq ${r.fromSeq})` : '';
        io.out(
          `audit chain verified: ${r.checked} record${r.checked === 1 ? '' : 's'} from seq ${first} to ${last}${checkpoint}${anchorNote}`,
        );
        return false;
      });
      // Exit 1 without a second message: the verdict is already printed.
      if (broken)
        throw new CliError('failed', 'audit_chain_broken', 'the audit chain is broken', { quiet: true });
    });
}

/** The anchor file's anchors; null when the default file does not exist (a node that never ran). */
async function readAnchorFile(
  file: string,
  named: boolean,
): Promise<{ anchors: Anchor[]; unreadable: number } | null> {
  try {
    return parseAnchors(await readFile(file, 'utf8'));
  } catch (err) {
    if (!named && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw invalidField('--anchors', `cannot read ${file}: ${(err as Error).message}`);
  }
}
