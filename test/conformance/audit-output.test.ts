import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AUDIT_FILE_NAME, AuditFile } from '../../src/audit/audit-file.js';
import type { AuditOutput } from '../../src/audit/output.js';
import { SyslogOutput, SyslogSender } from '../../src/audit/syslog.js';
import type { AuditRecord } from '../../src/domain/audit/audit.js';
import {
  startUdpReceiver,
  SYSLOG_FORMAT,
  TcpReceiver,
  tcpSyslogSender,
  tokenCreatedEvent,
} from '../support/audit-fixtures.js';

/**
 * The same AuditOutput contract (src/audit/output.ts) from every output: the audit file
 * (src/audit/audit-file.ts) and syslog over TCP and UDP (src/audit/syslog.ts), each against a real
 * receiver (a directory, a listener on 127.0.0.1). What the shipper relies on: a batch is delivered
 * whole and in order once `write` resolves; a batch the destination did not take never resolves
 * (it rejects, at the latest when the output closes), and once the destination is back the same
 * batch written again arrives; `close` ends the output and a later `write` rejects.
 *
 * UDP (RFC 5426) cannot tell a lost datagram: it is exempt from the failure cases, and says so.
 */

const FORMAT = SYSLOG_FORMAT;

let seq = 0;
function record(extra: Partial<AuditRecord> = {}): AuditRecord {
  seq++;
  return {
    id: seq,
    seq,
    ...tokenCreatedEvent(seq, 'node-a'),
    prevHash: (seq - 1).toString(16).padStart(64, '0'),
    hash: seq.toString(16).padStart(64, '0'),
    ...extra,
  };
}
const records = (n: number): AuditRecord[] => Array.from({ length: n }, () => record());

/** What every output carries of a record, as the receiver got it. */
interface Delivered {
  seq: number;
  hash: string;
  action: string;
  node: string;
}
const facts = (r: AuditRecord): Delivered => ({
  seq: r.seq,
  hash: r.hash,
  action: r.action,
  node: r.nodeId ?? '',
});

/** The SD-PARAMs of an RFC 5424 message we sent. */
function fromSyslog(message: string): Delivered {
  const param = (name: string): string => {
    const m = new RegExp(` ${name}="([^"]*)"`).exec(message);
    if (!m?.[1]) throw new Error(`no ${name} in ${message}`);
    return m[1];
  };
  return { seq: Number(param('seq')), hash: param('hash'), action: param('action'), node: param('node') };
}

interface Harness {
  output: AuditOutput;
  /** Everything the receiver holds so far, in the order it arrived. */
  received(): Promise<Delivered[]>;
  /** Makes the destination refuse (null: this output cannot notice a refusal). */
  breakIt: (() => Promise<void>) | null;
  heal(): Promise<void>;
  /** The failures the output reported through its onError. */
  errors: string[];
  dispose(): Promise<void>;
}

const collect =
  (errors: string[]) =>
  (message: string, err?: unknown): void => {
    errors.push(err instanceof Error ? `${message}: ${err.message}` : message);
  };

const OUTPUTS: Array<{ name: string; open: (dir: string) => Promise<Harness> }> = [
  {
    name: 'audit file',
    open: async (dir) => {
      const errors: string[] = [];
      const path = join(dir, AUDIT_FILE_NAME);
      const output = new AuditFile({ dir, maxSizeMb: 10, maxFiles: 3, onError: collect(errors) });
      return {
        output,
        errors,
        received: async () =>
          (await readFile(path, 'utf8').catch(() => ''))
            .split('\n')
            .filter((l) => l.startsWith('{') && l.endsWith('}'))
            .map((l) => {
              const o = JSON.parse(l) as Record<string, unknown>;
              return {
                seq: Number(o.seq),
                hash: String(o.hash),
                action: String(o.action),
                node: String(o.nodeId),
              };
            }),
        // The disk goes bad: the file is replaced by something that cannot be written.
        breakIt: async () => {
          await rm(path);
          await mkdir(path);
        },
        heal: () => rmdir(path),
        dispose: () => output.close(),
      };
    },
  },
  {
    name: 'syslog over TCP',
    open: async () => {
      const errors: string[] = [];
      const receiver = new TcpReceiver();
      await receiver.start();
      const sender = tcpSyslogSender(receiver, collect(errors), 50);
      const output = new SyslogOutput(sender, FORMAT);
      return {
        output,
        errors,
        received: () => Promise.resolve(receiver.messages.map(fromSyslog)),
        // The receiver goes away (its port stays free for it to come back on), and the sender has
        // seen the connection close: a write racing the close is handed to the OS and lost with it,
        // as RFC 6587 has no acknowledgements.
        breakIt: async () => {
          await receiver.stop();
          const deadline = Date.now() + 10_000;
          while (sender.connected) {
            if (Date.now() > deadline) throw new Error('the sender did not notice the closed connection');
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        },
        heal: () => receiver.start(),
        dispose: async () => {
          await output.close();
          await receiver.stop();
        },
      };
    },
  },
  {
    name: 'syslog over UDP',
    open: async () => {
      const receiver = await startUdpReceiver();
      const sender = new SyslogSender({ transport: 'udp', host: '127.0.0.1', port: receiver.port });
      const output = new SyslogOutput(sender, FORMAT);
      return {
        output,
        errors: [],
        received: () => Promise.resolve(receiver.messages.map(fromSyslog)),
        breakIt: null,
        heal: () => Promise.resolve(),
        dispose: async () => {
          await output.close();
          await receiver.close();
        },
      };
    },
  },
];

/** Polls until the receiver holds at least `count`; bounded, so a lost record fails the test. */
async function arrived(h: Harness, count: number): Promise<Delivered[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = await h.received();
    if (got.length >= count) return got;
    if (Date.now() > deadline) throw new Error(`got ${got.length} of ${count} records`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The records in the order they first arrived (delivery is at least once). */
const firstArrivals = (got: Delivered[]): Delivered[] => {
  const seen = new Set<number>();
  return got.filter((d) => !seen.has(d.seq) && seen.add(d.seq));
};

for (const o of OUTPUTS) {
  describe(`audit output conformance: ${o.name}`, () => {
    let dir: string;
    let h: Harness;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tg-output-conf-'));
      h = await o.open(dir);
    });
    afterEach(async () => {
      await h.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    it('delivers a batch whole, each record with its seq, hash, action and node', async () => {
      const batch = records(5);
      await h.output.write(batch);
      assert.deepEqual(await arrived(h, 5), batch.map(facts));
      assert.deepEqual(h.errors, []);
    });

    it('keeps the order across batches, and an empty batch delivers nothing', async () => {
      const batches = [records(3), [], records(1), records(40)];
      for (const b of batches) await h.output.write(b);
      assert.deepEqual(await arrived(h, 44), batches.flat().map(facts));
      assert.deepEqual(h.errors, []);
    });

    it('has delivered what it resolved for when close resolves, and refuses a write after close', async () => {
      const batch = records(20);
      await h.output.write(batch);
      await h.output.close();
      assert.deepEqual(await arrived(h, 20), batch.map(facts));
      await assert.rejects(h.output.write(records(1)), /closed/);
      // Closing again is harmless (dispose closes once more).
      await h.output.close();
    });

    // Only for transports that acknowledge: UDP cannot tell a lost datagram (RFC 5426), so these
    // contracts are not registered for it at all (CI allows no skipped test).
    if (!o.name.endsWith('UDP'))
      it('never resolves for a batch the destination did not take, and delivers it when written again', async () => {
        const first = records(2);
        await h.output.write(first);
        await arrived(h, 2);
        await h.breakIt?.();
        const batch = records(3);
        const outcome = h.output.write(batch).then(
          () => 'delivered' as const,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        );
        // Either it has failed by now (the file), or it waits for the destination (TCP).
        const early = await Promise.race([
          outcome,
          new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 200)),
        ]);
        if (early === 'delivered') assert.fail('a write resolved while the destination could not take it');
        await h.heal();
        const settled = await outcome;
        // As the shipper does: a rejected batch is written again.
        if (settled !== 'delivered') await h.output.write(batch);
        // The batch arrives whole and in order, after what came before it (the file's breakdown
        // took the first records with the replaced file).
        const expected = [...first, ...batch].map(facts);
        const deadline = Date.now() + 10_000;
        let got = firstArrivals(await h.received());
        while (!batch.every((r) => got.some((d) => d.seq === r.seq))) {
          if (Date.now() > deadline) throw new Error(`the batch did not arrive: ${JSON.stringify(got)}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
          got = firstArrivals(await h.received());
        }
        assert.deepEqual(got, expected.slice(expected.length - got.length));
        assert.ok(got.length >= batch.length, JSON.stringify(got));
      });

    // Only for transports that acknowledge: UDP cannot tell a lost datagram (RFC 5426), so these
    // contracts are not registered for it at all (CI allows no skipped test).
    if (!o.name.endsWith('UDP'))
      it('rejects a batch still waiting for the destination when it closes', async () => {
        await h.breakIt?.();
        const outcome = h.output.write(records(2)).then(
          () => 'delivered' as const,
          (err: unknown) => err,
        );
        await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, 200))]);
        await h.output.close();
        assert.ok((await outcome) instanceof Error, 'rejected, so that the shipper keeps its cursor');
        assert.ok(h.errors.length > 0, 'the outage is reported');
        await h.heal();
      });
  });
}
