import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { assembleApp, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { randomBase62 } from '../src/domain/token/base62.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { generateToken } from '../src/domain/token/format.js';
import { hashToken } from '../src/domain/token/hash.js';
import type { Logger } from '../src/log/logger.js';
import { createNotifier } from '../src/notify/index.js';
import { noNotifier, type NoticeChannel, type Notifier, type TokenNotice } from '../src/notify/notifier.js';
import { systemContext } from '../src/services/context.js';
import { startTokenLifecycle, type TokenLifecycleDeps } from '../src/services/token-lifecycle.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import type { Store } from '../src/store/store.js';
import { TokenLifecycleRepo } from '../src/store/token-lifecycle-repo.js';
import { recordArtifact, recordAudit, recordSecret, watchContext } from './support/artifacts.js';
import { openPostgres, PG_URL, testDatabases, type TestDatabase } from './support/databases.js';
import { startEchoUpstream, startTestNode } from './support/node.js';

/**
 * The token life-cycle job (src/services/token-lifecycle.ts) on every database: expiry warnings
 * sent once per token, even by several nodes at once; pruning of long-expired tokens; revocation
 * of unused ones; each change audited once. The clock is the job's `now`, moved by hand.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Tokens are created at T0; the job's clock is set relative to it. */
const T0 = Date.UTC(2026, 0, 5, 12, 0);
const cli = systemContext('@cli');
const HOOK_SECRET = 'lifecycle-hook-secret-5hd8s';
recordSecret('password', HOOK_SECRET);

interface Collected extends Logger {
  lines: string[];
}

const logs: Collected[] = [];
function logger(): Collected {
  const lines: string[] = [];
  const l: Collected = {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m, err) => lines.push(`ERROR ${m}${err instanceof Error ? `: ${err.message}` : ''}`),
  };
  logs.push(l);
  return l;
}

/** A notifier that keeps what it was given. */
function recorder(channels?: NoticeChannel[]): Notifier & { notices: TokenNotice[] } {
  const notices: TokenNotice[] = [];
  return {
    notices,
    ...(channels ? { channels } : {}),
    notify: (n) => {
      notices.push(n);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

function job(
  app: AppContext,
  notifier: Notifier,
  now: () => number,
  extra: Partial<TokenLifecycleDeps> = {},
): ReturnType<typeof startTokenLifecycle> {
  return startTokenLifecycle({
    store: app.store,
    tokens: app.tokens,
    settings: app.settings,
    notifier,
    log: logger(),
    nodeId: app.config.nodeId,
    now,
    feed: app.feed,
    intervalMs: 0,
    ...extra,
  });
}

interface TokenSpec {
  expiresAt: number | null;
  createdAt?: number;
  lastUsedAt?: number;
  revoked?: boolean;
}

/** Stores a token as it would be after `spec`: times chosen freely, which the service would not allow. */
async function addToken(
  app: AppContext,
  user: string,
  description: string,
  spec: TokenSpec,
): Promise<string> {
  const plain = generateToken('tg');
  recordSecret('token', plain);
  const id = `tok_${randomBase62(16)}`;
  await app.store.tokens.insert({
    id,
    hash: hashToken(plain),
    user,
    description,
    scope: 'read',
    createdAt: spec.createdAt ?? T0,
    createdBy: '@cli',
    expiresAt: spec.expiresAt,
    lastUsedAt: spec.lastUsedAt ?? null,
    lastUsedIp: spec.lastUsedAt === undefined ? null : '192.0.2.7',
    allowedIps: null,
    rateLimit: null,
    revokedAt: spec.revoked ? T0 : null,
    revokedBy: spec.revoked ? 'admin' : null,
    secretIssuedBy: '@cli',
  });
  return id;
}

async function addUser(app: AppContext, username: string, email: string | null): Promise<void> {
  await app.users.create(CLI_PRINCIPAL, cli, {
    username,
    displayName: username.toUpperCase(),
    ...(email ? { email } : {}),
  });
}

async function audits(
  app: AppContext,
  action: string,
): Promise<Awaited<ReturnType<Store['audit']['search']>>> {
  return app.store.audit.search({ action }, 10_000);
}

async function tokenIds(app: AppContext): Promise<string[]> {
  const rows = await app.database.db.selectFrom('tokens').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

async function warnedAt(app: AppContext, id: string): Promise<number | null> {
  const r = await app.database.db
    .selectFrom('tokens')
    .select('expiry_warned_at')
    .where('id', '=', id)
    .executeTakeFirst();
  return r?.expiry_warned_at ?? null;
}

const config = (nodeId: string) => loadConfig({ db: ':memory:', nodeId }, {});

/** A fresh, migrated database with one app on it. */
async function fresh(db: TestDatabase): Promise<{ app: AppContext; close(): Promise<void> }> {
  const handle = await db.open();
  const app = await assembleApp(config('node-a'), handle, { log: logger() });
  watchContext(app);
  // Tokens without expiry are allowed, so the tests can store some.
  await app.settings.update(CLI_PRINCIPAL, cli, {
    'tokens.maxValidityDays': null,
    'tokens.defaultValidityDays': null,
  });
  return {
    app,
    close: async () => {
      await recordAudit(`token-lifecycle ${db.name}`, app).catch(() => undefined);
      await handle.close();
    },
  };
}

/** Two apps ("nodes") on one database: one shared SQLite file, or two PostgreSQL pools. */
async function sharedPair(
  db: TestDatabase,
): Promise<{ a: AppContext; b: AppContext; close(): Promise<void> }> {
  let handles: DatabaseHandle[];
  let dir: string | undefined;
  if (db.name === 'sqlite') {
    // As in test/services-conformance.test.ts: two nodes in one process share the connection.
    dir = mkdtempSync(join(tmpdir(), 'tg-lifecycle-'));
    handles = [await openDatabase({ url: join(dir, 'shared.db') })];
  } else {
    const first = await openPostgres();
    const row = await first.db
      .selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s'))
      .executeTakeFirstOrThrow();
    handles = [first, await openDatabase({ url: PG_URL, schema: row.s })];
  }
  const [h0, h1] = [handles[0] as DatabaseHandle, handles[1] ?? (handles[0] as DatabaseHandle)];
  const a = await assembleApp(config('node-a'), h0, { log: logger() });
  const b = await assembleApp(config('node-b'), h1, { log: logger() });
  return {
    a,
    b,
    close: async () => {
      await recordAudit(`token-lifecycle pair ${db.name}`, a).catch(() => undefined);
      await handles[1]?.close();
      await handles[0]?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Hit {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A real SMTP listener and a real webhook receiver on loopback, shared by every database's suite. */
const mails: { to: string; subject: string; text: string; raw: string }[] = [];
const hits: Hit[] = [];
let smtpServer: SMTPServer;
let smtpPort = 0;
let hookServer: ReturnType<typeof createServer>;
let hookUrl = '';

before(async () => {
  smtpServer = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((m) => {
            for (const to of session.envelope.rcptTo)
              mails.push({ to: to.address, subject: m.subject ?? '', text: m.text ?? '', raw });
            cb();
          })
          .catch((err: unknown) => cb(err as Error));
      });
    },
  });
  await new Promise<void>((r) => smtpServer.listen(0, '127.0.0.1', r));
  smtpPort = (smtpServer.server.address() as AddressInfo).port;
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
});

after(async () => {
  for (const [i, m] of mails.entries()) recordArtifact('log', `token-lifecycle e-mail ${i}`, m.raw);
  for (const [i, h] of hits.entries())
    recordArtifact('log', `token-lifecycle webhook ${i}`, h.body.toString());
  for (const [i, l] of logs.entries())
    recordArtifact('log', `token-lifecycle logger ${i}`, l.lines.join('\n'));
  await new Promise<void>((r) => smtpServer.close(() => r()));
  hookServer.closeAllConnections();
  await new Promise<void>((r) => hookServer.close(() => r()));
});

for (const db of await testDatabases()) {
  describe(`token lifecycle on ${db.name}`, { skip: db.skip }, () => {
    it('warns once per token: two runs send one e-mail and one webhook', async () => {
      const { app, close } = await fresh(db);
      const notifier = createNotifier(
        {
          smtp: {
            host: '127.0.0.1',
            port: smtpPort,
            secure: false,
            user: null,
            password: null,
            from: 'tokengate@example.com',
          },
          webhook: { url: hookUrl, secret: HOOK_SECRET, maxAttempts: 3, timeoutMs: 2000 },
        },
        logger(),
        { backoffMs: 10 },
      );
      try {
        await addUser(app, 'alice', 'alice@example.com');
        await addUser(app, 'bob', null);
        const deploy = await addToken(app, 'alice', 'ci deploy', { expiresAt: T0 + 3 * DAY });
        const bobs = await addToken(app, 'bob', 'bob backup', { expiresAt: T0 + 2 * DAY });
        const [mailsBefore, hitsBefore] = [mails.length, hits.length];
        const lc = job(app, notifier, () => T0);
        assert.deepEqual(await lc.runOnce(), { warned: 2, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(await lc.runOnce(), { warned: 0, pruned: 0, revokedUnused: 0 });
        // A second job (another node, or this one after a restart) has nothing left to send either.
        assert.equal((await job(app, notifier, () => T0 + HOUR).runOnce()).warned, 0);
        await notifier.close();

        const sent = mails.slice(mailsBefore);
        assert.deepEqual(
          sent.map((m) => [m.to, m.subject]),
          [['alice@example.com', 'Your API token "ci deploy" expires in 3 days']],
          'one e-mail, to alice only: bob has no address',
        );
        assert.match(sent[0]?.text ?? '', /expires in 3 days, on 2026-01-08 12:00 UTC/);
        const posted = hits.slice(hitsBefore);
        assert.equal(posted.length, 2, 'one webhook per token');
        const payloads = posted.map((h) => JSON.parse(h.body.toString()) as { token: { id: string } });
        assert.deepEqual(payloads.map((p) => p.token.id).sort(), [bobs, deploy].sort());
        for (const h of posted) {
          const mac = createHmac('sha256', HOOK_SECRET).update(h.body).digest('hex');
          assert.equal(h.headers['x-tokengate-signature'], `sha256=${mac}`);
        }
        assert.equal(await warnedAt(app, deploy), T0);

        const records = await audits(app, 'token.expiry-warned');
        assert.equal(records.length, 2, 'one audit record per warning');
        const mine = records.find((r) => r.tokenId === deploy);
        assert.ok(mine);
        assert.equal(mine.category, 'tokens');
        assert.equal(mine.author, '@lifecycle');
        assert.equal(mine.affectedUser, 'alice');
        assert.equal(mine.tokenDescription, 'ci deploy');
        assert.deepEqual(mine.details, {
          expiresAt: new Date(T0 + 3 * DAY).toISOString(),
          warningDays: 5,
          channels: ['email', 'webhook'],
        });
        assert.deepEqual(records.find((r) => r.tokenId === bobs)?.details?.channels, ['webhook']);
      } finally {
        await notifier.close();
        await close();
      }
    });

    it('warns only active tokens that expire within tokens.expiryWarningDays', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'carol', 'carol@example.com');
        const now = T0 + 10 * DAY;
        const due = await addToken(app, 'carol', 'due', { expiresAt: now + 4 * DAY });
        const dueSoon = await addToken(app, 'carol', 'due in an hour', { expiresAt: now + HOUR });
        await addToken(app, 'carol', 'never expires', { expiresAt: null });
        await addToken(app, 'carol', 'revoked', { expiresAt: now + 2 * DAY, revoked: true });
        await addToken(app, 'carol', 'already expired', { expiresAt: now - HOUR });
        await addToken(app, 'carol', 'expires at this instant', { expiresAt: now });
        const later = await addToken(app, 'carol', 'later', { expiresAt: now + 5 * DAY + HOUR });
        const n = recorder();
        assert.equal((await job(app, n, () => now).runOnce()).warned, 2);
        assert.deepEqual(n.notices.map((x) => x.token.id).sort(), [due, dueSoon].sort());
        const first = n.notices.find((x) => x.token.id === due);
        assert.deepEqual(first, {
          kind: 'token.expiring',
          at: now,
          owner: { username: 'carol', displayName: 'CAROL', email: 'carol@example.com' },
          token: { id: due, description: 'due', scope: 'read', expiresAt: now + 4 * DAY },
        });
        // A wider window reaches the later one.
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.expiryWarningDays': 6 });
        assert.equal((await job(app, n, () => now).runOnce()).warned, 1);
        assert.equal(n.notices.at(-1)?.token.id, later);
        assert.equal((await audits(app, 'token.expiry-warned')).length, 3);
      } finally {
        await close();
      }
    });

    it('sends no warning with tokens.expiryWarningDays 0, nor without any channel', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'dave', 'dave@example.com');
        const id = await addToken(app, 'dave', 'soon', { expiresAt: T0 + DAY });
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.expiryWarningDays': 0 });
        const n = recorder();
        assert.equal((await job(app, n, () => T0).runOnce()).warned, 0);
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.expiryWarningDays': 5 });
        // No e-mail and no webhook configured: nothing is claimed, so the warning is not used up.
        const quiet = job(app, noNotifier, () => T0);
        assert.equal((await quiet.runOnce()).warned, 0);
        assert.equal(await warnedAt(app, id), null);
        assert.equal((await audits(app, 'token.expiry-warned')).length, 0);
        assert.equal(n.notices.length, 0);
        // Once the setting is back (and with a channel), the warning goes out: it was the setting.
        assert.equal((await job(app, recorder(['email']), () => T0).runOnce()).warned, 1);
      } finally {
        await close();
      }
    });

    it('works in bounded batches: a backlog is sent over several runs', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'erin', 'erin@example.com');
        for (let i = 0; i < 12; i++) await addToken(app, 'erin', `t${i}`, { expiresAt: T0 + DAY + i * HOUR });
        const n = recorder();
        const lc = job(app, n, () => T0, { batchSize: 5 });
        assert.deepEqual(
          [(await lc.runOnce()).warned, (await lc.runOnce()).warned, (await lc.runOnce()).warned],
          [5, 5, 2],
        );
        assert.equal(new Set(n.notices.map((x) => x.token.id)).size, 12);
        assert.deepEqual(
          n.notices.slice(0, 5).map((x) => x.token.description),
          ['t0', 't1', 't2', 't3', 't4'],
          'soonest first',
        );
      } finally {
        await close();
      }
    });

    it('prunes tokens pruneExpiredAfterDays after they expired, each audited once', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'frank', null);
        const old = await addToken(app, 'frank', 'old', { expiresAt: T0 + DAY });
        const oldRevoked = await addToken(app, 'frank', 'old revoked', {
          expiresAt: T0 + DAY,
          revoked: true,
        });
        const recent = await addToken(app, 'frank', 'recent', { expiresAt: T0 + 10 * DAY });
        const forever = await addToken(app, 'frank', 'forever', { expiresAt: null });
        const revoked = await addToken(app, 'frank', 'revoked, no expiry', {
          expiresAt: null,
          revoked: true,
        });
        const active = await addToken(app, 'frank', 'active', { expiresAt: T0 + 400 * DAY });
        // A former secret of the old token (a rotation) goes with it.
        await app.database.db
          .insertInto('token_rotations')
          .values({ hash: 'a'.repeat(64), token_id: old, rotated_at: T0, valid_until: T0 + HOUR })
          .execute();
        const now = T0 + 31 * DAY + HOUR;
        const n = recorder();
        assert.equal((await job(app, n, () => now).runOnce()).pruned, 2);
        assert.deepEqual(await tokenIds(app), [recent, forever, revoked, active].sort());
        const gone = await app.database.db.selectFrom('token_rotations').select('hash').execute();
        assert.equal(gone.length, 0);
        const records = await audits(app, 'token.pruned');
        assert.equal(records.length, 2);
        const r = records.find((x) => x.tokenId === old);
        assert.ok(r);
        assert.equal(r.category, 'tokens');
        assert.equal(r.author, '@lifecycle');
        assert.equal(r.affectedUser, 'frank');
        assert.equal(r.tokenDescription, 'old');
        assert.equal(r.nodeId, 'node-a');
        assert.deepEqual(r.details, { expiredAt: new Date(T0 + DAY).toISOString(), afterDays: 30 });
        assert.ok(
          records.some((x) => x.tokenId === oldRevoked),
          'revoked, then expired: pruned too',
        );
        // Nothing more until the recent one is 30 days past its expiry; null keeps expired tokens.
        assert.equal((await job(app, n, () => now).runOnce()).pruned, 0);
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.pruneExpiredAfterDays': null });
        assert.equal((await job(app, n, () => T0 + 100 * DAY).runOnce()).pruned, 0);
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.pruneExpiredAfterDays': 7 });
        assert.equal((await job(app, n, () => T0 + 17 * DAY + HOUR).runOnce()).pruned, 1);
        assert.deepEqual(await tokenIds(app), [forever, revoked, active].sort());
        assert.equal((await audits(app, 'token.pruned')).length, 3);
        assert.equal(n.notices.length, 0, 'pruning tells nobody');
      } finally {
        await close();
      }
    });

    it('revokes tokens unused for revokeUnusedAfterDays, audited once with reason "unused"', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'gina', null);
        const now = T0 + 100 * DAY;
        const never = await addToken(app, 'gina', 'never used', { expiresAt: null });
        const stale = await addToken(app, 'gina', 'stale', { expiresAt: null, lastUsedAt: now - 31 * DAY });
        const fresh1 = await addToken(app, 'gina', 'fresh', { expiresAt: null, lastUsedAt: now - 29 * DAY });
        const newer = await addToken(app, 'gina', 'new', { expiresAt: null, createdAt: now - 2 * DAY });
        await addToken(app, 'gina', 'revoked', { expiresAt: null, revoked: true });
        await addToken(app, 'gina', 'expired', { expiresAt: now - DAY });
        const lc = job(app, recorder(), () => now);
        assert.equal((await lc.runOnce()).revokedUnused, 0, 'off by default');
        await app.settings.update(CLI_PRINCIPAL, cli, {
          'tokens.revokeUnusedAfterDays': 30,
          'tokens.pruneExpiredAfterDays': null,
        });
        assert.equal((await lc.runOnce()).revokedUnused, 2);
        assert.equal((await lc.runOnce()).revokedUnused, 0);
        const records = (await audits(app, 'token.revoked')).filter((r) => r.details?.reason === 'unused');
        assert.deepEqual(records.map((r) => r.tokenId).sort(), [never, stale].sort());
        const r = records.find((x) => x.tokenId === stale);
        assert.ok(r);
        assert.equal(r.author, '@lifecycle');
        assert.equal(r.affectedUser, 'gina');
        assert.equal(r.details?.lastUsedAt, new Date(now - 31 * DAY).toISOString());
        assert.equal(r.details?.unusedDays, 30);
        assert.match(r.summary, /not used for 30 days/);
        const status = async (id: string) => (await app.store.tokens.findById(id))?.revokedBy ?? null;
        assert.equal(await status(never), '@lifecycle');
        assert.equal(await status(fresh1), null);
        assert.equal(await status(newer), null);
      } finally {
        await close();
      }
    });

    it("a deleted user's tokens go with the user, and the job never trips over them", async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'hank', 'hank@example.com');
        await addUser(app, 'ivy', 'ivy@example.com');
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.revokeUnusedAfterDays': 30 });
        const now = T0 + 40 * DAY;
        for (const u of ['hank', 'ivy']) {
          await addToken(app, u, `${u} expiring`, { expiresAt: now + DAY });
          await addToken(app, u, `${u} expired`, { expiresAt: T0 + DAY });
          await addToken(app, u, `${u} unused`, { expiresAt: null });
        }
        await app.users.delete(CLI_PRINCIPAL, cli, 'hank');
        const log = logger();
        // ivy is deleted while the job is under way: between its selecting her token and claiming it.
        const n: Notifier = {
          notify: async (x) => {
            if (x.owner.username !== 'ivy') await app.users.delete(CLI_PRINCIPAL, cli, 'ivy');
          },
          close: () => Promise.resolve(),
        };
        await addUser(app, 'jo', 'jo@example.com');
        await addToken(app, 'jo', 'jo expiring', { expiresAt: now + HOUR, lastUsedAt: now - DAY });
        const lc = job(app, n, () => now, { log });
        assert.deepEqual(await lc.runOnce(), { warned: 1, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(await lc.runOnce(), { warned: 0, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(
          log.lines.filter((l) => !l.startsWith('INFO')),
          [],
          'no error, no warning',
        );
        const left = await app.database.db.selectFrom('tokens').select('username').execute();
        assert.deepEqual(
          left.map((r) => r.username),
          ['jo'],
        );
        // The deletions themselves were audited by UserService.delete, one record per token.
        const deleted = (await app.store.audit.search({ category: 'tokens' }, 1000)).filter((r) =>
          ['hank', 'ivy'].includes(r.affectedUser ?? ''),
        );
        assert.equal(deleted.filter((r) => r.action === 'token.deleted').length, 6);
        assert.equal((await audits(app, 'token.pruned')).length, 0);
      } finally {
        await close();
      }
    });

    it('logs a failing database and resolves: the timer never sees an error', async () => {
      const { app, close } = await fresh(db);
      try {
        const down = (): Promise<never> => Promise.reject(new Error('database down'));
        const broken = Object.assign(Object.create(app.store) as Store, {
          lifecycle: { dueForWarning: down, expiredBefore: down, unusedSince: down },
        });
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.revokeUnusedAfterDays': 30 });
        const log = logger();
        const lc = job(app, recorder(), () => T0, { store: broken, log });
        assert.deepEqual(await lc.runOnce(), { warned: 0, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(log.lines, [
          'ERROR token lifecycle: expiry warnings failed; it is tried again at the next run: database down',
          'ERROR token lifecycle: revoking unused tokens failed; it is tried again at the next run: database down',
          'ERROR token lifecycle: pruning expired tokens failed; it is tried again at the next run: database down',
        ]);
      } finally {
        await close();
      }
    });

    it('runs on its timer, and stop() ends it', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'kim', 'kim@example.com');
        await addToken(app, 'kim', 'soon', { expiresAt: Date.now() + DAY });
        const n = recorder();
        const lc = job(app, n, Date.now, { intervalMs: 40, firstRunDelayMs: 0 });
        for (let i = 0; i < 100 && n.notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        await lc.stop();
        assert.equal(n.notices.length, 1);
        await addToken(app, 'kim', 'after stop', { expiresAt: Date.now() + DAY });
        await new Promise((r) => setTimeout(r, 150));
        assert.equal(n.notices.length, 1, 'no run after stop');
      } finally {
        await close();
      }
    });

    it('two nodes running the job at once: one warning, one deletion, one revocation per token', async () => {
      const { a, b, close } = await sharedPair(db);
      let restore = (): void => undefined;
      try {
        await addUser(a, 'lou', 'lou@example.com');
        await a.settings.update(CLI_PRINCIPAL, cli, { 'tokens.revokeUnusedAfterDays': 30 });
        await b.settings.reload();
        const now = T0 + 40 * DAY;
        const expiring: string[] = [];
        for (let i = 0; i < 25; i++) {
          expiring.push(
            await addToken(a, 'lou', `expiring ${i}`, { expiresAt: now + DAY, lastUsedAt: now - DAY }),
          );
          await addToken(a, 'lou', `expired ${i}`, { expiresAt: T0 + i * HOUR });
          await addToken(a, 'lou', `unused ${i}`, { expiresAt: null });
        }
        const [na, nb] = [recorder(), recorder()];
        // Counts the claims that found the warning already taken by the other node.
        const proto = TokenLifecycleRepo.prototype;
        let lost = 0;
        const original = proto.claimWarning;
        proto.claimWarning = async function (this: TokenLifecycleRepo, id: string, at: number) {
          const won = await original.call(this, id, at);
          if (!won) lost++;
          return won;
        };
        restore = () => {
          proto.claimWarning = original;
        };
        const ja = job(a, na, () => now, { batchSize: 10 });
        const jb = job(b, nb, () => now, { batchSize: 10 });
        const total = { warned: 0, pruned: 0, revokedUnused: 0 };
        for (let round = 0; round < 10; round++) {
          const runs = await Promise.all([ja.runOnce(), jb.runOnce()]);
          for (const r of runs) {
            total.warned += r.warned;
            total.pruned += r.pruned;
            total.revokedUnused += r.revokedUnused;
          }
        }
        assert.deepEqual(total, { warned: 25, pruned: 25, revokedUnused: 25 });
        const sent = [...na.notices, ...nb.notices].map((x) => x.token.id);
        assert.equal(sent.length, 25, 'one notice per token');
        assert.deepEqual([...new Set(sent)].sort(), [...expiring].sort());
        assert.equal((await audits(a, 'token.expiry-warned')).length, 25);
        assert.equal((await audits(a, 'token.pruned')).length, 25);
        const revoked = (await audits(a, 'token.revoked')).filter((r) => r.details?.reason === 'unused');
        assert.equal(revoked.length, 25);
        assert.equal(new Set(revoked.map((r) => r.tokenId)).size, 25);
        // The nodes did compete: some claims found the warning already taken (else this proved nothing).
        assert.ok(lost > 0, 'no claim was ever lost: the two jobs did not overlap');
      } finally {
        restore();
        await close();
      }
    });
  });
}

describe('token lifecycle on a running node', () => {
  it('a token revoked as unused gets 401 at the gateway at once', async () => {
    const up = await startEchoUpstream();
    const t = await startTestNode(up.url);
    try {
      const ctx = t.node.ctx;
      await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'max' });
      const { token, id } = await t.tokenFor('max', { description: 'nightly sync' });
      const get = () => fetch(`${t.url}/data`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get()).status, 200);
      assert.equal((await get()).status, 200, 'cached now');
      await t.settings({ 'tokens.revokeUnusedAfterDays': 30 });
      const lc = startTokenLifecycle({
        store: ctx.store,
        tokens: ctx.tokens,
        settings: ctx.settings,
        notifier: noNotifier,
        log: logger(),
        nodeId: ctx.config.nodeId,
        now: () => Date.now() + 31 * DAY,
        feed: ctx.feed,
        intervalMs: 0,
      });
      assert.equal((await lc.runOnce()).revokedUnused, 1);
      const res = await get();
      assert.equal(res.status, 401);
      const records = await ctx.store.audit.search({ action: 'token.revoked', tokenId: id }, 10);
      assert.equal(records.length, 1);
      assert.equal(records[0]?.details?.reason, 'unused');
      assert.equal(records[0]?.author, '@lifecycle');
      const stored = await ctx.store.tokens.findById(id);
      assert.equal(stored?.revokedBy, '@lifecycle');
    } finally {
      await t.close();
      await up.close();
    }
  });
});
