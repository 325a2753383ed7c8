import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AUDIT_FILE_NAME, AuditFile } from '../src/audit/audit-file.js';
import { AuditShipper, createAuditShipper, type AuditOutput } from '../src/audit/shipper.js';
import { formatSyslog, SyslogOutput, SyslogSender } from '../src/audit/syslog.js';
import { loadConfig } from '../src/config/config.js';
import type { AuditEvent, AuditRecord } from '../src/domain/audit/audit.js';
import { AuditShippingRepo } from '../src/store/audit-shipping-repo.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import {
  CHAIN_FIELD_NAMES,
  OUTPUT_T0,
  startUdpReceiver,
  SYSLOG_FORMAT,
  TcpReceiver,
  tcpSyslogSender,
  tokenCreatedEvent,
} from './support/audit-fixtures.js';
import { testDatabases } from './support/databases.js';

const T0 = OUTPUT_T0;
const ME = 'node-a';
const OTHER = 'node-b';
const FORMAT = SYSLOG_FORMAT;

let n = 0;
function event(nodeId: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  n++;
  return tokenCreatedEvent(n, nodeId, { details: { scope: 'read', nested: { list: [1, 2], n } }, ...extra });
}

/** Interleaved events of this node and another; every third is the other node's. */
function mixed(count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, i) =>
    i % 3 === 2
      ? event(OTHER)
      : event(ME, i === 1 ? { affectedUser: null, details: null, proxyIp: null } : {}),
  );
}

/** The fields of an audit file line: the hashed ones (the time as `time`), with id, seq and the hashes. */
const FIELDS = [
  'id',
  'seq',
  ...CHAIN_FIELD_NAMES.map((f) => (f === 'ts' ? 'time' : f)),
  'prevHash',
  'hash',
].sort();

/** A record as the audit file should hold it: every field, the time as ISO 8601. */
function asLine(r: AuditRecord): Record<string, unknown> {
  const { ts, ...rest } = r;
  return { ...rest, time: new Date(ts).toISOString() };
}

async function readLines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Polls until `get` returns at least `count` items; bounded, so a lost message fails the test. */
async function waitFor<T>(get: () => T[] | Promise<T[]>, count: number, what: string): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const items = await get();
    if (items.length >= count) return items;
    if (Date.now() > deadline) throw new Error(`${what}: got ${items.length} of ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function mine(records: AuditRecord[], nodeId = ME): AuditRecord[] {
  return records.filter((r) => r.nodeId === nodeId);
}

describe('audit outputs', () => {
  let handle: DatabaseHandle;
  let store: Store;
  let repo: AuditShippingRepo;
  let dir: string;
  let errors: string[];
  const onError = (message: string, err?: unknown): void => {
    errors.push(err === undefined ? message : `${message}: ${err instanceof Error ? err.message : 'error'}`);
  };
  const append = (events: AuditEvent[]): Promise<AuditRecord[]> =>
    store.transaction((tx) => tx.audit.append(events));

  beforeEach(async () => {
    handle = await openDatabase({ url: ':memory:' });
    store = Store.from(handle);
    repo = new AuditShippingRepo(handle.db);
    dir = await mkdtemp(join(tmpdir(), 'tg-audit-out-'));
    errors = [];
  });

  afterEach(async () => {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the audit file receives exactly this node's records, in seq order, with every field", async () => {
    const records = await append(mixed(12));
    const file = new AuditFile({ dir: join(dir, 'a'), maxSizeMb: 10, maxFiles: 3, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file], onError });

    assert.deepEqual(await shipper.shipNow(), { file: 8 });
    const lines = await readLines(join(dir, 'a', AUDIT_FILE_NAME));
    assert.deepEqual(lines, mine(records).map(asLine));
    for (const l of lines) assert.deepEqual(Object.keys(l).sort(), FIELDS);
    assert.equal(lines[0]?.time, new Date(T0 + n - 11).toISOString());
    assert.deepEqual(lines[1]?.details, null);
    assert.deepEqual((lines[2]?.details as { nested: unknown }).nested, { list: [1, 2], n: n - 8 });

    // The cursor moved to this node's last record; the other node's cursor is untouched.
    assert.equal(await repo.cursor(ME, 'file'), mine(records).at(-1)?.seq);
    assert.equal(await repo.cursor(OTHER, 'file'), 0);
    assert.deepEqual(await shipper.shipNow(), { file: 0 });
    assert.equal((await readLines(join(dir, 'a', AUDIT_FILE_NAME))).length, 8);

    const more = await append(mixed(6));
    assert.deepEqual(await shipper.shipNow(), { file: 4 });
    assert.deepEqual(
      await readLines(join(dir, 'a', AUDIT_FILE_NAME)),
      mine([...records, ...more]).map(asLine),
    );

    // The other node ships the rest: every record leaves through exactly one node.
    const otherFile = new AuditFile({ dir: join(dir, 'b'), maxSizeMb: 10, maxFiles: 3, onError });
    const otherShipper = new AuditShipper({ repo, nodeId: OTHER, outputs: [otherFile], onError });
    assert.deepEqual(await otherShipper.shipNow(), { file: 6 });
    const both = [
      ...(await readLines(join(dir, 'a', AUDIT_FILE_NAME))),
      ...(await readLines(join(dir, 'b', AUDIT_FILE_NAME))),
    ];
    assert.deepEqual(
      both.map((l) => l.seq).sort((x, y) => Number(x) - Number(y)),
      [...records, ...more].map((r) => r.seq),
    );

    await shipper.stop();
    await otherShipper.stop();
    assert.deepEqual(errors, []);
  });

  it('ships in batches and keeps every record across a rotation of the audit file', async () => {
    const pad = 'x'.repeat(900);
    const records = await append(Array.from({ length: 1300 }, () => event(ME, { details: { pad } })));
    const file = new AuditFile({ dir, maxSizeMb: 1, maxFiles: 2, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file], onError, batchSize: 500 });
    assert.deepEqual(await shipper.shipNow(), { file: 1300 });
    await shipper.stop();
    assert.deepEqual((await readdir(dir)).sort(), [AUDIT_FILE_NAME, `${AUDIT_FILE_NAME}.1`]);
    const lines = [
      ...(await readLines(join(dir, `${AUDIT_FILE_NAME}.1`))),
      ...(await readLines(join(dir, AUDIT_FILE_NAME))),
    ];
    assert.deepEqual(
      lines.map((l) => l.seq),
      records.map((r) => r.seq),
    );
    assert.equal(await repo.cursor(ME, 'file'), 1300);
    assert.deepEqual(errors, []);
  });

  it('retries a batch that did not reach the file, and loses none', async () => {
    const path = join(dir, AUDIT_FILE_NAME);
    const first = await append(mixed(3));
    const file = new AuditFile({ dir, maxSizeMb: 10, maxFiles: 3, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file], onError });
    assert.deepEqual(await shipper.shipNow(), { file: 2 });
    const cursor = await repo.cursor(ME, 'file');

    // The disk goes bad: the file is replaced by something that cannot be written.
    await rm(path);
    await mkdir(path);
    const second = await append(mixed(6));
    assert.deepEqual(await shipper.shipNow(), { file: 0 });
    assert.equal(await repo.cursor(ME, 'file'), cursor);
    assert.equal(errors.filter((e) => e.includes('shipping audit records to file failed')).length, 1);
    // Still failing: retried, not reported again.
    assert.deepEqual(await shipper.shipNow(), { file: 0 });
    assert.equal(errors.filter((e) => e.includes('shipping audit records to file failed')).length, 1);

    await rmdir(path);
    assert.deepEqual(await shipper.shipNow(), { file: 4 });
    assert.deepEqual(await readLines(path), mine(second).map(asLine));
    assert.equal(await repo.cursor(ME, 'file'), mine(second).at(-1)?.seq);
    assert.ok(errors.some((e) => e.includes('shipping audit records to file works again')));
    assert.ok(mine(first).length > 0);
    await shipper.stop();
  });

  it('follows a file moved away by an operator instead of writing to the moved one forever', async () => {
    const path = join(dir, AUDIT_FILE_NAME);
    const first = await append([event(ME), event(ME)]);
    const file = new AuditFile({ dir, maxSizeMb: 10, maxFiles: 3, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file], onError });
    await shipper.shipNow();
    await rename(path, `${path}.archived`);
    const second = await append([event(ME), event(ME), event(ME)]);
    await shipper.shipNow(); // lands in the moved file, which the check notices
    assert.deepEqual(await shipper.shipNow(), { file: 3 });
    assert.deepEqual(await readLines(path), second.map(asLine));
    // At least once: the moved file holds the first records, and maybe the second ones again.
    const archived = await readLines(`${path}.archived`);
    assert.deepEqual(archived.slice(0, 2), first.map(asLine));
    await shipper.stop();
  });

  it('starts a partial line afresh after a failed write', async () => {
    const path = join(dir, AUDIT_FILE_NAME);
    const records = await append([event(ME), event(ME)]);
    const file = new AuditFile({ dir, maxSizeMb: 10, maxFiles: 3, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file], onError });
    // A failed batch, after which the file ends in a partial line (as a full disk can leave it).
    // The constructor created the file (0600): a directory in its place makes the write fail.
    await rm(path);
    await mkdir(path);
    assert.deepEqual(await shipper.shipNow(), { file: 0 });
    await rmdir(path);
    await writeFile(path, '{"partial":');
    assert.deepEqual(await shipper.shipNow(), { file: 2 });
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\n')[0], '{"partial":');
    assert.deepEqual(
      text
        .split('\n')
        .slice(1)
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as unknown),
      records.map(asLine),
    );
    await shipper.stop();
  });

  it("sends this node's records as RFC 5424 datagrams to a UDP receiver", async () => {
    const server = await startUdpReceiver();
    const got = server.messages;
    const sender = new SyslogSender({ transport: 'udp', host: '127.0.0.1', port: server.port });
    const shipper = new AuditShipper({
      repo,
      nodeId: ME,
      outputs: [new SyslogOutput(sender, FORMAT)],
      onError,
    });
    try {
      const records = await append(mixed(9));
      assert.deepEqual(await shipper.shipNow(), { syslog: 6 });
      const received = await waitFor(() => got, 6, 'datagrams');
      const seqOf = (m: string): number => Number(/ seq="(\d+)"/.exec(m)?.[1]);
      assert.deepEqual(
        [...received].sort((a, b) => seqOf(a) - seqOf(b)),
        mine(records).map((r) => formatSyslog(r, FORMAT)),
      );
      for (const m of received) {
        assert.match(
          m,
          /^<85>1 2026-03-01T12:\d{2}:\d{2}\.\d{3}Z gw1\.example\.test tokengate 77 token\.created \[tokengate@32473 seq="\d+" hash="[0-9a-f]{64}" category="tokens" action="token\.created" author="alice" user="(bob|-)" token="tok_\d+" src="203\.0\.113\.7" proxy="(10\.0\.0\.2|-)" node="node-a" outcome="success"\] alice created token "t\d+" for bob$/,
        );
      }
      assert.equal(await repo.cursor(ME, 'syslog'), mine(records).at(-1)?.seq);
      assert.deepEqual(await shipper.shipNow(), { syslog: 0 });
    } finally {
      await shipper.stop();
      await server.close();
    }
    assert.deepEqual(errors, []);
  });

  it('sends octet-counted frames to a TCP receiver, and again after it restarts', async () => {
    const receiver = new TcpReceiver();
    await receiver.start();
    const sender = tcpSyslogSender(receiver, onError, 100);
    const shipper = new AuditShipper({
      repo,
      nodeId: ME,
      outputs: [new SyslogOutput(sender, FORMAT)],
      onError,
    });
    try {
      const records = await append(mixed(6));
      assert.deepEqual(await shipper.shipNow(), { syslog: 4 });
      // TCP keeps the order.
      assert.deepEqual(
        await waitFor(() => receiver.messages, 4, 'frames'),
        mine(records).map((r) => formatSyslog(r, FORMAT)),
      );

      // The receiver goes away; records written meanwhile wait, and leave once it is back.
      await receiver.stop();
      await waitFor(() => (sender.connected ? [] : [true]), 1, 'the sender to notice the lost connection');
      const more = await append(mixed(9));
      const pass = shipper.shipNow();
      await receiver.start();
      assert.deepEqual(await pass, { syslog: 6 });
      assert.deepEqual(
        await waitFor(() => receiver.messages, 10, 'frames after the restart'),
        mine([...records, ...more]).map((r) => formatSyslog(r, FORMAT)),
      );
      assert.equal(await repo.cursor(ME, 'syslog'), mine(more).at(-1)?.seq);
      assert.deepEqual(await shipper.shipNow(), { syslog: 0 });
      assert.equal(sender.dropped, 0);
    } finally {
      await shipper.stop();
      await receiver.stop();
    }
  });

  it('ships on its own every interval, and stop() ships what is left', async () => {
    const file = new AuditFile({ dir, maxSizeMb: 10, maxFiles: 3, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file], onError, intervalMs: 20 });
    shipper.start();
    const path = join(dir, AUDIT_FILE_NAME);
    const first = await append(mixed(3));
    await waitFor(() => readLines(path), 2, 'records shipped by the timer');
    const second = await append(mixed(3));
    await shipper.stop();
    assert.deepEqual(await readLines(path), mine([...first, ...second]).map(asLine));
    assert.deepEqual(await shipper.shipNow(), { file: 0 });
    assert.deepEqual(errors, []);
  });

  it('keeps each output on its own cursor: a failing output holds back neither the other nor its records', async () => {
    let fail = true;
    const written: number[] = [];
    const flaky: AuditOutput = {
      name: 'flaky',
      write: (records) => {
        if (fail) return Promise.reject(new Error('receiver down'));
        written.push(...records.map((r) => r.seq));
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const file = new AuditFile({ dir, maxSizeMb: 10, maxFiles: 3, onError });
    const shipper = new AuditShipper({ repo, nodeId: ME, outputs: [file, flaky], onError, batchSize: 2 });
    const records = await append(mixed(9));
    assert.deepEqual(await shipper.shipNow(), { file: 6, flaky: 0 });
    assert.equal(await repo.cursor(ME, 'flaky'), 0);
    fail = false;
    assert.deepEqual(await shipper.shipNow(), { file: 0, flaky: 6 });
    assert.deepEqual(
      written,
      mine(records).map((r) => r.seq),
    );
    await shipper.stop();
  });

  it('createAuditShipper builds the outputs the configuration enables', async () => {
    const server = await startUdpReceiver();
    const got = server.messages;
    const configPath = join(dir, 'tokengate.yaml');
    await writeFile(
      configPath,
      [
        `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
        'nodeId: node-a',
        'audit:',
        '  file: { enabled: true }',
        `  syslog: { enabled: true, host: 127.0.0.1, port: ${server.port}, facility: 4 }`,
      ].join('\n'),
    );
    const config = loadConfig({ config: configPath }, {});
    const shipper = createAuditShipper(config, handle.db, { onError });
    try {
      assert.ok(shipper);
      const records = await append(mixed(3));
      assert.deepEqual(await shipper.shipNow(), { file: 2, syslog: 2 });
      assert.deepEqual(
        await readLines(join(dir, 'data', 'audit', AUDIT_FILE_NAME)),
        mine(records).map(asLine),
      );
      const received = await waitFor(() => got, 2, 'datagrams');
      for (const m of received)
        assert.match(m, /^<37>1 \S+ \S+ tokengate \d+ token\.created \[tokengate@32473 /);
    } finally {
      await shipper?.stop();
      await server.close();
    }
    assert.equal(createAuditShipper(loadConfig({ dataDir: dir }, {}), handle.db), null);
  });
});

for (const db of await testDatabases()) {
  describe(`AuditShippingRepo: ${db.name}`, { skip: db.skip }, () => {
    it('keeps a cursor per node and output, and lists one node’s records after it in seq order', async () => {
      const h = await db.open();
      try {
        const s = Store.from(h);
        const r = new AuditShippingRepo(h.db);
        assert.equal(await r.cursor(ME, 'file'), 0);
        await r.setCursor(ME, 'file', 5);
        await r.setCursor(ME, 'syslog', 2);
        await r.setCursor(OTHER, 'file', 9);
        await r.setCursor(ME, 'file', 7);
        assert.equal(await r.cursor(ME, 'file'), 7);
        assert.equal(await r.cursor(ME, 'syslog'), 2);
        assert.equal(await r.cursor(OTHER, 'file'), 9);

        const records = await s.transaction((tx) => tx.audit.append(mixed(12)));
        const all = mine(records);
        assert.deepEqual(await r.recordsAfter(ME, 0, 100), all);
        assert.deepEqual(await r.recordsAfter(ME, 0, 3), all.slice(0, 3));
        assert.deepEqual(await r.recordsAfter(ME, all[2]?.seq ?? 0, 3), all.slice(3, 6));
        assert.deepEqual(await r.recordsAfter(OTHER, 0, 100), mine(records, OTHER));
        assert.deepEqual(await r.recordsAfter(ME, all.at(-1)?.seq ?? 0, 100), []);
        assert.deepEqual(await r.recordsAfter('node-c', 0, 100), []);
      } finally {
        await h.close();
      }
    });
  });
}
