import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingFileSink } from './rotating-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokengate-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 20 bytes each, so a 200-byte file holds exactly ten. */
const line = (i: number): string => `line ${String(i).padStart(6, '0')} abcdefg\n`;
const LINE_BYTES = 20;

async function readLines(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** The live file and its rotations, oldest first. */
async function keptLines(path: string, maxFiles: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = maxFiles; i >= 1; i--) out.push(...(await readLines(`${path}.${i}`)));
  out.push(...(await readLines(path)));
  return out;
}

/** Asserts the kept lines are the last ones written, contiguous, in order, none twice. */
function assertSuffix(kept: string[], written: number): void {
  assert.ok(kept.length > 0, 'something was kept');
  const first = written - kept.length;
  assert.deepEqual(
    kept,
    Array.from({ length: kept.length }, (_, k) => line(first + k).slice(0, -1)),
  );
}

describe('RotatingFileSink', () => {
  it('creates its directories 0700 and the live and rotated files 0600, whatever the umask allows', async () => {
    const logs = join(dir, 'data', 'logs');
    const path = join(logs, 'tokengate.log');
    const sink = new RotatingFileSink(path, { maxBytes: 200, maxFiles: 2 });
    for (let i = 0; i < 35; i++) sink.write(line(i));
    await sink.flush();
    await sink.close();
    const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);
    assert.equal(await mode(join(dir, 'data')), '700');
    assert.equal(await mode(logs), '700');
    assert.deepEqual((await readdir(logs)).sort(), ['tokengate.log', 'tokengate.log.1', 'tokengate.log.2']);
    for (const f of await readdir(logs)) assert.equal(await mode(join(logs, f)), '600', f);
  });

  it('rotates several times, keeping at most maxFiles rotated files and every recent line in order', async () => {
    assert.equal(Buffer.byteLength(line(0)), LINE_BYTES, 'the sizes below rely on it');
    const path = join(dir, 'nested', 'deeper', 'tokengate.log');
    const sink = new RotatingFileSink(path, { maxBytes: 200, maxFiles: 3 });
    let written = 0;
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 7; k++) sink.write(line(written++));
      await sink.flush();
      const files = await readdir(join(dir, 'nested', 'deeper'));
      assert.ok(files.length <= 4, `round ${round}: ${files.join(', ')}`);
      for (const f of files) assert.ok((await stat(join(dir, 'nested', 'deeper', f))).size <= 200, f);
    }
    await sink.close();

    assert.deepEqual((await readdir(join(dir, 'nested', 'deeper'))).sort(), [
      'tokengate.log',
      'tokengate.log.1',
      'tokengate.log.2',
      'tokengate.log.3',
    ]);
    // 140 lines at ten per file: 14 files were started; the last one holds lines 130..139.
    assert.equal((await readLines(path)).length, 10);
    for (let i = 1; i <= 3; i++) assert.equal((await readLines(`${path}.${i}`)).length, 10, `${path}.${i}`);
    assertSuffix(await keptLines(path, 3), written);
  });

  it('keeps order across rotations when many lines are queued at once', async () => {
    const path = join(dir, 'burst.log');
    const sink = new RotatingFileSink(path, { maxBytes: 1000, maxFiles: 5 });
    for (let i = 0; i < 2000; i++) sink.write(line(i));
    await sink.flush();
    const kept = await keptLines(path, 5);
    assert.equal(kept.length, 300, 'six full files of fifty lines');
    assertSuffix(kept, 2000);
    await sink.close();
  });

  it('appends to an existing file, counting its size toward the first rotation', async () => {
    const path = join(dir, 'existing.log');
    await writeFile(path, 'x'.repeat(189) + '\n'); // 190 bytes: room for no 20-byte line under 200
    const sink = new RotatingFileSink(path, { maxBytes: 200, maxFiles: 2 });
    sink.write(line(0));
    await sink.close();
    assert.equal(await readFile(`${path}.1`, 'utf8'), 'x'.repeat(189) + '\n');
    assert.equal(await readFile(path, 'utf8'), line(0));

    const again = new RotatingFileSink(path, { maxBytes: 200, maxFiles: 2 });
    again.write(line(1));
    await again.close();
    assert.equal(await readFile(path, 'utf8'), line(0) + line(1), 'appended, not truncated');
    assert.equal(existsSync(`${path}.2`), false);
  });

  it('open() creates the file at once, and close() right after it releases the file', async () => {
    const path = join(dir, 'eager', 'open.log');
    const sink = new RotatingFileSink(path, { maxBytes: 100, maxFiles: 1 });
    const opened = sink.open();
    sink.write(line(0));
    await sink.close();
    await opened;
    assert.equal(await readFile(path, 'utf8'), line(0));
  });

  it('close() writes everything queued and drops later writes', async () => {
    const path = join(dir, 'close.log');
    const sink = new RotatingFileSink(path, { maxBytes: 1_000_000, maxFiles: 1 });
    for (let i = 0; i < 500; i++) sink.write(line(i));
    await sink.close();
    sink.write(line(500));
    await sink.flush();
    assertSuffix(await readLines(path), 500);
    assert.equal((await readLines(path)).length, 500);
    await sink.close();
  });

  it('keeps no rotated file with maxFiles 0, and puts a record larger than maxBytes in a file of its own', async () => {
    const path = join(dir, 'zero.log');
    const sink = new RotatingFileSink(path, { maxBytes: 50, maxFiles: 0 });
    const big = 'B'.repeat(80) + '\n';
    sink.write(line(0));
    sink.write(big);
    await sink.flush();
    assert.equal(await readFile(path, 'utf8'), big);
    sink.write(line(1));
    await sink.close();
    assert.equal(await readFile(path, 'utf8'), line(1));
    assert.deepEqual(await readdir(dir), ['zero.log']);
  });

  it('reports an unwritable path once, drops records, and never throws', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    const errors: string[] = [];
    const sink = new RotatingFileSink(join(blocker, 'x.log'), {
      maxBytes: 100,
      maxFiles: 1,
      onError: (message) => errors.push(message),
    });
    await assert.rejects(sink.open());
    for (let i = 0; i < 50; i++) {
      sink.write(line(i));
      if (i % 10 === 0) await sink.flush();
    }
    await sink.close();
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] ?? '', /writing log file .*x\.log failed/);
  });

  it('reports recovery with the number of records dropped', async () => {
    const sub = join(dir, 'sub');
    await writeFile(sub, ''); // a file where the directory should be
    const errors: string[] = [];
    const sink = new RotatingFileSink(join(sub, 'x.log'), {
      maxBytes: 1000,
      maxFiles: 1,
      onError: (message) => errors.push(message),
    });
    sink.write(line(0));
    sink.write(line(1));
    await sink.flush();
    await rm(sub);
    sink.write(line(2));
    await sink.close();
    assert.deepEqual(await readLines(join(sub, 'x.log')), [line(2).slice(0, -1)]);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[1] ?? '', /written again; 2 records were dropped/);
  });

  it('drops records beyond maxQueuedLines instead of growing without bound', async () => {
    const path = join(dir, 'queue.log');
    const errors: string[] = [];
    const sink = new RotatingFileSink(path, {
      maxBytes: 1_000_000,
      maxFiles: 1,
      maxQueuedLines: 3,
      onError: (message) => errors.push(message),
    });
    for (let i = 0; i < 10; i++) sink.write(line(i));
    await sink.close();
    const kept = await readLines(path);
    assert.ok(kept.length >= 3 && kept.length < 10, `kept ${kept.length}`);
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => line(i).slice(0, -1)),
      'the first records are kept, in order',
    );
    assert.match(errors[0] ?? '', /more than 3 records waiting/);
  });

  it('rejects nonsensical options', () => {
    const path = join(dir, 'x.log');
    assert.throws(() => new RotatingFileSink(path, { maxBytes: 0, maxFiles: 1 }), RangeError);
    assert.throws(() => new RotatingFileSink(path, { maxBytes: 1.5, maxFiles: 1 }), RangeError);
    assert.throws(() => new RotatingFileSink(path, { maxBytes: 10, maxFiles: -1 }), RangeError);
    assert.throws(
      () => new RotatingFileSink(path, { maxBytes: 10, maxFiles: 1, maxQueuedLines: 0 }),
      RangeError,
    );
  });
});
