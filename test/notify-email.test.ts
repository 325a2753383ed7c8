import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNotifier } from '../src/notify/index.js';
import { recordArtifact, recordSecret } from './support/artifacts.js';
import {
  addresses,
  assertNoSecret,
  collectingLogger,
  notice,
  SMTP_PASSWORD,
  SMTP_USER,
  smtpConfig,
  smtpServer,
  type SmtpListener,
} from './support/notify-fixtures.js';

/**
 * The notifier's e-mail channel against a real SMTP server on loopback (the `smtp-server` package).
 * The signed webhook is tested in notify-webhook.test.ts.
 */

describe('notifications: e-mail over SMTP', () => {
  let smtp: SmtpListener;
  before(async () => {
    smtp = await smtpServer();
  });
  after(async () => {
    for (const [i, m] of smtp.raw.entries()) recordArtifact('log', `notify-email.test e-mail ${i}`, m);
    await smtp.close();
  });

  it('sends the expiry warning: to the owner, a friendly subject, the token and its expiry, no secret', async () => {
    const log = collectingLogger();
    const n = createNotifier({ smtp: smtpConfig(smtp.port), webhook: null }, log, { backoffMs: 10 });
    assert.deepEqual(n.channels, ['email']);
    const before = smtp.mails.length;
    await n.notify(notice());
    await n.close();
    assert.equal(smtp.mails.length, before + 1);
    const mail = smtp.mails.at(-1);
    assert.ok(mail);
    assert.deepEqual(addresses(mail.to), ['alice@example.com']);
    assert.deepEqual(addresses(mail.from), ['tokengate@example.com']);
    assert.equal(mail.subject, 'Your API token "ci deploy" expires in 5 days');
    const text = mail.text ?? '';
    assert.match(text, /Hello Alice Example,/);
    assert.match(text, /"ci deploy"/);
    assert.match(text, /tok_abc123/);
    assert.match(text, /2026-05-01 14:00 UTC/, 'the expiry date');
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(smtp.logins.at(-1), SMTP_USER, 'it logged in with the configured account');
    assertNoSecret(smtp.raw.at(-1) ?? '', 'the e-mail');
    assert.ok(
      log.lines.some((l) => l.startsWith('INFO e-mail token.expiring for token tok_abc123 to alice sent')),
      log.lines.join('\n'),
    );
    assertNoSecret(log.lines.join('\n'), 'the log');
  });

  it('sends no e-mail to a user without an address, and says so at info', async () => {
    const log = collectingLogger();
    const n = createNotifier({ smtp: smtpConfig(smtp.port), webhook: null }, log, { backoffMs: 10 });
    const before = smtp.mails.length;
    await n.notify(notice({ owner: { username: 'bob', displayName: 'Bob', email: null } }));
    await n.close();
    assert.equal(smtp.mails.length, before);
    assert.deepEqual(log.lines, [
      'INFO e-mail token.expiring for token tok_abc123 to bob: not sent, the user has no e-mail address',
    ]);
  });

  it('words the leak and reuse notices, and the last day in hours', async () => {
    const n = createNotifier({ smtp: smtpConfig(smtp.port, false), webhook: null }, collectingLogger(), {
      backoffMs: 10,
    });
    const before = smtp.mails.length;
    const at = notice().at;
    await n.notify(notice({ token: { ...notice().token, expiresAt: at + 3 * 3_600_000 } }));
    await n.notify(
      notice({
        kind: 'token.leaked',
        leak: { url: 'https://gist.example/x', source: 'github' },
        revoked: true,
      }),
    );
    await n.notify(notice({ kind: 'token.reused', revoked: false }));
    await n.close();
    const subjects = smtp.mails.slice(before).map((m) => m.subject);
    assert.deepEqual(subjects.sort(), [
      'A replaced secret of your API token "ci deploy" was used',
      'Your API token "ci deploy" expires in 3 hours',
      'Your API token "ci deploy" was found leaked and has been revoked',
    ]);
    const leak = smtp.mails.slice(before).find((m) => m.subject?.includes('leaked'));
    assert.match(leak?.text ?? '', /https:\/\/gist\.example\/x/);
  });

  it('a refused login is logged without the password and not retried', async () => {
    const log = collectingLogger();
    const n = createNotifier(
      { smtp: { ...smtpConfig(smtp.port), password: `${SMTP_PASSWORD}-wrong` }, webhook: null },
      log,
      { backoffMs: 10 },
    );
    recordSecret('password', `${SMTP_PASSWORD}-wrong`);
    await n.notify(notice());
    await n.close();
    const text = log.lines.join('\n');
    assert.match(text, /ERROR e-mail token\.expiring .* failed after 1 attempt \(.*535/);
    assert.ok(!text.includes(SMTP_PASSWORD));
  });

  it('a mail server that is away is retried, then given up and logged', async () => {
    const log = collectingLogger();
    const closed = await smtpServer();
    await closed.close();
    const n = createNotifier({ smtp: smtpConfig(closed.port), webhook: null }, log, { backoffMs: 10 });
    await n.notify(notice());
    await n.close();
    assert.equal(log.lines.filter((l) => l.startsWith('WARN')).length, 2, log.lines.join('\n'));
    assert.match(log.lines.at(-1) ?? '', /^ERROR e-mail .* failed after 3 attempts/);
  });
});
