import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { createNotifier } from '../src/notify/index.js';
import { noNotifier } from '../src/notify/notifier.js';
import { recordArtifact, recordSecret } from './support/artifacts.js';
import { testDatabases } from './support/databases.js';
import {
  addToken,
  addUser,
  audits,
  cli,
  DAY,
  fresh,
  HOUR,
  job,
  logger,
  recorder,
  recordLoggers,
  T0,
  warnedAt,
} from './support/token-lifecycle.js';

/**
 * The token life-cycle job's expiry warnings (src/services/token-lifecycle.ts) on every database:
 * sent once per token, only within tokens.expiryWarningDays, in bounded batches. Pruning, revoking
 * and several nodes at once are in token-lifecycle.test.ts. The clock is the job's `now`, moved by hand.
 */

const HOOK_SECRET = 'lifecycle-hook-secret-5hd8s';
recordSecret('password', HOOK_SECRET);

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
  for (const [i, m] of mails.entries()) recordArtifact('log', `token-lifecycle-warnings e-mail ${i}`, m.raw);
  for (const [i, h] of hits.entries())
    recordArtifact('log', `token-lifecycle-warnings webhook ${i}`, h.body.toString());
  recordLoggers('token-lifecycle-warnings');
  await new Promise<void>((r) => smtpServer.close(() => r()));
  hookServer.closeAllConnections();
  await new Promise<void>((r) => hookServer.close(() => r()));
});

for (const db of await testDatabases()) {
  describe(`token lifecycle warnings on ${db.name}`, { skip: db.skip }, () => {
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
  });
}
