/**
 * The command line as a newcomer meets it (issue 15): no WARN after a change, quiet when piped into
 * `head`, and `log-style`. These run the installed binary (the compiled code) in child processes, as
 * an operator would, except where the in-process runner is enough. What a command loads is tested in
 * cli-loading.test.ts, a mistyped data directory in cli-missing-database.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootstrap, openApp, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { auditEvent } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { silentLogger } from '../src/log/logger.js';
import { ChangeFeed } from '../src/services/change-feed.js';
import { systemContext } from '../src/services/context.js';
import { SettingsService } from '../src/services/settings-service.js';
import type { Store } from '../src/store/store.js';
import { BIN, binaryEnv, CHILD_TIMEOUT_MS, inProcessCli, runBinary } from './support/cli.js';

const ADMIN_PASSWORD = 'usability-admin-password';

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return binaryEnv(ADMIN_PASSWORD, extra);
}
const cli = inProcessCli(ADMIN_PASSWORD);
/** Enough rows that `token list` and `audit list` write several times a pipe's 64 KiB buffer. */
const TOKENS = 400;
const AUDIT_ROWS = 1_500;

/** Runs the binary to completion. */
function bin(dataDir: string, args: string[]) {
  return runBinary(dataDir, args, childEnv());
}

/**
 * Runs the binary with a reader that goes away: after the first chunk of output (`head -1`), or at
 * once, before the command writes anything. Resolves with the exit code and all of stderr.
 */
function binWithClosedReader(
  dataDir: string,
  args: string[],
  when: 'after-first-chunk' | 'at-once',
): Promise<{ code: number | null; signal: string | null; err: string; firstChunk: string }> {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, ...args], { env: childEnv() });
  let err = '';
  let firstChunk = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  if (when === 'at-once') child.stdout.destroy();
  else
    child.stdout.once('data', (d: Buffer) => {
      firstChunk = d.toString('utf8');
      child.stdout.destroy();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not end: ${err}`));
    }, CHILD_TIMEOUT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, err, firstChunk });
    });
  });
}

async function withContext<T>(dataDir: string, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const config = loadConfig({ dataDir }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli');
  const ctx = await openApp(config, { log: silentLogger });
  try {
    await bootstrap(ctx, () => undefined);
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

describe('tokengate CLI: changes end without a WARN', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-reload-'));
    assert.equal((await cli(dir, 'init')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Each change publishes itself on the change feed, which starts a settings reload (and, for a
  // widening, a revocation pass); the command used to close the database under them.
  for (const args of [
    ['settings', 'set', 'tokens.expiryWarningDays', '9'],
    ['log-level', 'auth', 'debug'],
    ['log-style', 'seed'],
    ['settings', 'set', 'permissions.manageAllTokens', '["admin","ops"]'],
  ]) {
    it(`tokengate ${args.join(' ')}`, () => {
      const r = bin(dir, args);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, / -> /);
      assert.equal(r.err, '', 'nothing on stderr: no WARN "settings reload failed", no ERROR');
    });
  }
});

/** A promise and the function that settles it, for a store read that ends when the test says. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every queued callback run: whatever could finish without the gate has finished. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('closing waits for the work a change started', () => {
  it('SettingsService.close waits for a reload the change feed started, and starts no more', async () => {
    const read = gate<Record<string, unknown>>();
    let reads = 0;
    const store = {
      settings: {
        all: () => {
          reads++;
          return read.promise;
        },
      },
    } as unknown as Store;
    const feed = new ChangeFeed(store);
    const settings = new SettingsService({ store, feed, nodeId: 'n', now: Date.now });
    feed.publish('settings', ['*']);
    assert.equal(reads, 1);
    let closed = false;
    const closing = settings.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false, 'close() returned while the reload was still reading');
    read.open({});
    await closing;
    feed.publish('settings', ['*']);
    assert.equal(reads, 1, 'no reload after close()');
  });

  it('ChangeFeed.close stops polling and waits for the poll in progress', async () => {
    const batch = gate<[]>();
    const store = { changes: { since: () => batch.promise } } as unknown as Store;
    const feed = new ChangeFeed(store);
    const polling = feed.poll();
    let closed = false;
    const closing = feed.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false, 'close() returned while a poll was still reading');
    batch.open([]);
    await Promise.all([polling, closing]);
  });
});

describe('tokengate CLI: a reader that stops early (| head)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-epipe-'));
    await withContext(dir, async (ctx) => {
      const cliCtx = systemContext(CLI_PRINCIPAL.username);
      await ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'tokens.maxPerUser': TOKENS });
      await ctx.users.create(CLI_PRINCIPAL, cliCtx, { username: 'pipe' });
      const description = `a token with a long description so that the listing is large `.repeat(3);
      for (let i = 0; i < TOKENS; i++)
        await ctx.tokens.create(CLI_PRINCIPAL, cliCtx, 'pipe', { description: `${i} ${description}` });
      const base = Date.parse('2025-01-01T00:00:00Z');
      await ctx.store.transaction((tx) =>
        tx.audit.append(
          Array.from({ length: AUDIT_ROWS }, (_, i) =>
            auditEvent(systemContext('pipe'), 'node-pipe', base + i * 1000, {
              category: 'authentication',
              action: 'auth.failed',
              summary: `request ${i} was refused because it carried no valid token at all`,
            }),
          ),
        ),
      );
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [
    ['token', 'list'],
    ['token', 'list', '-o', 'json'],
    ['audit', 'list', '--limit', '10000'],
    ['audit', 'list', '--limit', '10000', '-o', 'json'],
  ]) {
    it(`tokengate ${args.join(' ')}: exits 0 without a stack trace after the first chunk`, async () => {
      const r = await binWithClosedReader(dir, args, 'after-first-chunk');
      assert.ok(r.firstChunk.length > 0);
      assert.equal(r.err, '');
      assert.equal(r.signal, null);
      assert.equal(r.code, 0);
    });
  }

  for (const args of [
    ['settings', 'get'],
    ['token', 'list'],
    ['audit', 'list'],
  ]) {
    it(`tokengate ${args.join(' ')}: exits 0 quietly when the reader is gone before the first line`, async () => {
      const r = await binWithClosedReader(dir, args, 'at-once');
      assert.equal(r.err, '');
      assert.equal(r.code, 0);
    });
  }
});

describe('tokengate log-style', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-style-'));
    assert.equal((await cli(dir, 'init')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the style, sets it (audited) and refuses an unknown one naming the accepted values', async () => {
    assert.equal((await cli(dir, 'log-style')).out, 'tokengate\n');
    const set = await cli(dir, 'log-style', 'seed');
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out, 'log.style: tokengate -> seed\n');
    assert.equal((await cli(dir, 'log-style')).out, 'seed\n');
    assert.equal((await cli(dir, 'settings', 'get', 'log.style')).out, '"seed"\n');

    const audit = await cli(dir, 'audit', 'list', '--json', '--action', 'settings.changed');
    const records = audit.out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { author: string; details: { key: string; oldValue: unknown; newValue: unknown } },
      );
    assert.deepEqual(
      records.map((r) => [r.author, r.details.key, r.details.oldValue, r.details.newValue]),
      [['@cli', 'log.style', 'tokengate', 'seed']],
    );

    const bad = await cli(dir, 'log-style', 'log4j');
    assert.equal(bad.code, 65, 'validation');
    assert.equal(bad.err, 'tokengate: style: "log4j" is not a log style; use one of tokengate, seed\n');
    const extra = await cli(dir, 'log-style', 'seed', 'more');
    assert.equal(extra.code, 64, 'usage');
    assert.match(extra.err, /too many arguments/);
    assert.equal((await cli(dir, 'log-style')).out, 'seed\n', 'unchanged by the refused calls');
  });
});
