import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import type { Config } from '../src/config/config.js';
import { COMPAT_RESOLUTION_PATH } from '../src/http/api/routes/compat-resolution.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Issue 15, "The seed's own examples are invisible" and "Existing log parsers keep working".
 *
 * An administrator coming from the seed app has log-analyzer rules written for its lines. The rules
 * below are written for the seed's own example lines (copied verbatim from the seed document,
 * ../shared/seed/000_c04d0e40bcd1c8b7.txt); each must match its seed line, and, with `log.style: seed`,
 * the line tokengate writes for the same situation, reproduced on the seed's own REST paths. The facts
 * they capture (user, endpoint, method, scope…) must agree with the request that was made.
 */

const SEED_PATH = `${COMPAT_RESOLUTION_PATH}/user/token`;

/** The seed document's example lines, verbatim. */
const SEED_LINES = {
  found:
    '2020-09-22 15:20:50,922+0000 http-nio-8080-exec-11 INFO anonymous 920x447x1 -, /rest/de.resolution.apitokenauth/latest/user/token [d.r.a.platform.auth.ApiTokenAuthSharedBase] Found a matching token "API Token from 2020-09-22" with Read & Write scope and authenticated user admin. Token was created on Sep 22, 2020 2:43:30 PM. REST endpoint: /rest/de.resolution.apitokenauth/latest/user/token',
  filter:
    '2020-09-22 15:20:50,922+0000 http-nio-8080-exec-11 INFO admin 920x447x1 -,  /rest/de.resolution.apitokenauth/latest/user/token [d.r.a.platform.auth.ApiTokenAuthenticationFilter] User successfully authenticated',
  noValidToken:
    '2020-09-22 15:20:10,658+0000 http-nio-8080-exec-21 INFO anonymous 920x445x1 -, /rest/de.resolution.apitokenauth/latest/user/token [d.r.a.platform.auth.ApiTokenAuthSharedBase] Token verification for user admin failed: No valid API token was provided and basic auth with password is disabled. REST endpoint: /rest/de.resolution.apitokenauth/latest/user/token',
  ipDenied:
    '2020-09-22 15:18:44,234+0000 http-nio-8080-exec-3 INFO anonymous 918x438x1 -, /rest/de.resolution.apitokenauth/latest/user/token [d.r.a.platform.auth.ApiTokenAuthSharedBase] Token verification for user admin failed: IP address of request is not allowed to access the REST API and basic auth with password is disabled. REST endpoint: /rest/de.resolution.apitokenauth/latest/user/token',
  passedOn:
    '2020-09-22 15:17:34,151+0000 http-nio-8080-exec-6 INFO anonymous 917x429x1 -, /rest/de.resolution.apitokenauth/latest/user/token [d.r.a.platform.auth.ApiTokenAuthSharedBase] User automation-user tried to authenticate with an invalid token or regular password. Passing the request further to the default authenticator. REST endpoint: /rest/de.resolution.apitokenauth/latest/user/token',
  readOnly:
    '2020-09-22 15:14:05,087+0000 http-nio-8080-exec-16 INFO anonymous 914x405x1 -, /rest/api/2/myself [d.r.a.platform.auth.ApiTokenAuthSharedBase] Token verification for user automation-user failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests. Request method type was PUT. REST endpoint: /rest/api/2/myself',
  rateLimited:
    '2022-02-08 13:37:58,047+0000 http-nio-8080-exec-24 INFO anonymous 817x2506x1 1gs98du, /rest/api/2/myself [d.r.a.platform.auth.ApiTokenRateLimiter] User admin has been rate limited. The API token allows executing 5 requests within 5 minutes.',
} as const;

type Rule = keyof typeof SEED_LINES;

/** The line's frame, as a log analyzer's default template reads it: date, thread, level, user, request id. */
const FRAME =
  /^(?<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}[+-]\d{4}) (?<thread>\S+) (?<level>[A-Z]+) (?<user>\S+) (?<requestId>\S+) /;

const SHARED_BASE = String.raw`\[d\.r\.a\.platform\.auth\.ApiTokenAuthSharedBase\] `;

/** One rule per seed example, written against the seed's lines. */
const RULES: Record<Rule, RegExp> = {
  found: new RegExp(
    String.raw`${SHARED_BASE}Found a matching token "(?<description>[^"]*)" with (?<scope>Read Only|Read & Write) scope and authenticated user (?<subject>\S+)\. Token was created on (?<created>[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M)\. REST endpoint: (?<endpoint>\S+)$`,
  ),
  filter: /\[d\.r\.a\.platform\.auth\.ApiTokenAuthenticationFilter\] User successfully authenticated$/,
  noValidToken: new RegExp(
    String.raw`${SHARED_BASE}Token verification for user (?<subject>\S+) failed: No valid API token was provided and basic auth with password is disabled\. REST endpoint: (?<endpoint>\S+)$`,
  ),
  ipDenied: new RegExp(
    String.raw`${SHARED_BASE}Token verification for user (?<subject>\S+) failed: IP address of request is not allowed to access the REST API and basic auth with password is disabled\. REST endpoint: (?<endpoint>\S+)$`,
  ),
  passedOn: new RegExp(
    String.raw`${SHARED_BASE}User (?<subject>\S+) tried to authenticate with an invalid token or regular password\. Passing the request further to the default authenticator\. REST endpoint: (?<endpoint>\S+)$`,
  ),
  readOnly: new RegExp(
    String.raw`${SHARED_BASE}Token verification for user (?<subject>\S+) failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests\. Request method type was (?<method>[A-Z]+)\. REST endpoint: (?<endpoint>\S+)$`,
  ),
  rateLimited:
    /\[d\.r\.a\.platform\.auth\.ApiTokenRateLimiter\] User (?<subject>\S+) has been rate limited\. The API token allows executing (?<limit>\d+) requests within (?<window>\d+ \w+)\.$/,
};

/** What each rule captured and the frame's user column, or null when the line does not match. */
function read(rule: Rule, line: string): Record<string, string> | null {
  const frame = FRAME.exec(line);
  const body = RULES[rule].exec(line);
  if (!frame?.groups || !body) return null;
  return { user: frame.groups.user ?? '', level: frame.groups.level ?? '', ...body.groups };
}

/** The lines a node wrote since the last call (the first call: since `skip()`, or since start). */
function lineReader(node: () => TestNode): (() => Promise<string[]>) & { skip(): void } {
  let mark = 0;
  const read = async (): Promise<string[]> => {
    const t = node();
    await t.node.logs.flush();
    const lines = t.lines.slice(mark).map((l) => l.trimEnd());
    mark = t.lines.length;
    return lines;
  };
  return Object.assign(read, { skip: () => void (mark = node().lines.length) });
}

/** The log4j ConversionPattern of the seed document, unchanged. */
const SEED_PATTERN =
  '%d{yyyy-MM-dd HH:mm:ss,SSSZ} %t %p %X{jira.username} %X{jira.request.id} %X{jira.request.assession.id} %X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m%n';

describe('the seed example lines and their log-analyzer rules', () => {
  it('every rule matches its own seed line', () => {
    for (const rule of Object.keys(RULES) as Rule[]) {
      assert.ok(read(rule, SEED_LINES[rule]), `rule ${rule} matches the seed's line`);
    }
    assert.equal(read('found', SEED_LINES.found)?.user, 'anonymous');
    assert.equal(read('filter', SEED_LINES.filter)?.user, 'admin');
  });
});

for (const pattern of [null, SEED_PATTERN]) {
  describe(`log.style seed reproduces the seed's examples on its own paths (log.pattern ${pattern === null ? 'default' : 'the seed ConversionPattern'})`, () => {
    let t: TestNode;
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    const newLines = lineReader(() => t);
    /** The one new line a rule matches, read; fails when none or several match. */
    const expectLine = async (rule: Rule): Promise<Record<string, string>> => {
      const lines = await newLines();
      const matched = lines.map((l) => read(rule, l)).filter((r) => r !== null);
      assert.equal(matched.length, 1, `one line matches rule ${rule}:\n${lines.join('\n')}`);
      return matched[0] as Record<string, string>;
    };
    const call = async (path: string, method: string, authorization: string): Promise<number> => {
      const r = await fetch(`${t.url}${path}`, {
        method,
        headers: {
          authorization,
          ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
        },
        ...(method === 'GET' ? {} : { body: JSON.stringify({ tokenDescription: 'x' }) }),
        signal: AbortSignal.timeout(30_000),
      });
      await r.arrayBuffer();
      return r.status;
    };

    before(async () => {
      up = await startEchoUpstream();
      t = await startTestNode(up.url, (c: Config) => {
        if (pattern !== null) c.log.pattern = pattern;
      });
      await t.settings({
        'log.style': 'seed',
        'log.levels': { root: 'INFO', auth: 'INFO', ratelimit: 'INFO' },
      });
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
        username: 'automation-user',
        password: 'automation-password-1',
      });
      newLines.skip();
    });
    after(async () => {
      await t.close();
      await up.close();
    });

    it('a valid token on the seed REST API: the "Found a matching token" line, then the filter line with the user', async () => {
      const admin = await t.tokenFor('admin', { description: 'API Token from 2020-09-22', scope: 'write' });
      assert.equal(await call(SEED_PATH, 'GET', basicAuth('admin', admin.token)), 200);
      const lines = await newLines();
      const found = lines.map((l) => read('found', l)).find((r) => r !== null);
      const filter = lines.map((l) => read('filter', l)).find((r) => r !== null);
      assert.ok(found, `a "found" line:\n${lines.join('\n')}`);
      assert.ok(filter, `a filter line:\n${lines.join('\n')}`);
      assert.deepEqual(
        [found.user, found.description, found.scope, found.subject, found.endpoint],
        ['anonymous', 'API Token from 2020-09-22', 'Read & Write', 'admin', SEED_PATH],
      );
      assert.equal(filter.user, 'admin');
      if (pattern !== null) {
        // %X{jira.request.ipaddr} and %X{jira.request.url} are the client IP and the path.
        assert.match(
          lines.find((l) => RULES.found.test(l)) ?? '',
          / 127\.0\.0\.1 \/rest\/de\.resolution\.apitokenauth\/latest\/user\/token \[/,
        );
      }
    });

    it('a password while basic auth with passwords is disabled', async () => {
      await t.settings({ 'auth.basicPasswords': false });
      try {
        assert.equal(await call(SEED_PATH, 'GET', basicAuth('admin', 'a-regular-password-2')), 401);
        const r = await expectLine('noValidToken');
        assert.deepEqual([r.user, r.subject, r.endpoint], ['anonymous', 'admin', SEED_PATH]);
      } finally {
        await t.settings({ 'auth.basicPasswords': true });
      }
    });

    it('a token from an IP address outside its allow-list, while passwords are disabled', async () => {
      const fenced = await t.tokenFor('admin', { description: 'fenced', allowedIps: ['10.0.0.0/8'] });
      await t.settings({ 'auth.basicPasswords': false });
      try {
        assert.equal(await call(SEED_PATH, 'GET', basicAuth('admin', fenced.token)), 403);
        const r = await expectLine('ipDenied');
        assert.deepEqual([r.user, r.subject, r.endpoint], ['anonymous', 'admin', SEED_PATH]);
      } finally {
        await t.settings({ 'auth.basicPasswords': true });
      }
    });

    it('a regular password while passwords are enabled goes to the default authenticator', async () => {
      assert.equal(await call(SEED_PATH, 'GET', basicAuth('automation-user', 'automation-password-1')), 200);
      const r = await expectLine('passedOn');
      assert.deepEqual([r.user, r.subject, r.endpoint], ['anonymous', 'automation-user', SEED_PATH]);
    });

    it('a read-only token writing: on the seed REST API (POST) and through the gateway (PUT /rest/api/2/myself)', async () => {
      const read = await t.tokenFor('automation-user', { description: 'reader', scope: 'read' });
      assert.equal(await call(SEED_PATH, 'POST', basicAuth('automation-user', read.token)), 403);
      const onApi = await expectLine('readOnly');
      assert.deepEqual(
        [onApi.user, onApi.subject, onApi.method, onApi.endpoint],
        ['anonymous', 'automation-user', 'POST', SEED_PATH],
      );
      assert.equal(await call('/rest/api/2/myself', 'PUT', basicAuth('automation-user', read.token)), 403);
      const viaGateway = await expectLine('readOnly');
      assert.deepEqual(
        [viaGateway.subject, viaGateway.method, viaGateway.endpoint],
        ['automation-user', 'PUT', '/rest/api/2/myself'],
      );
    });

    it('a rate-limited token', async () => {
      const limited = await t.tokenFor('admin', {
        description: 'limited',
        rateLimit: { requests: 5, windowSeconds: 300 },
      });
      for (let i = 0; i < 5; i++)
        assert.equal(await call('/rest/api/2/myself', 'GET', basicAuth('admin', limited.token)), 200);
      await newLines();
      assert.equal(await call('/rest/api/2/myself', 'GET', basicAuth('admin', limited.token)), 429);
      const r = await expectLine('rateLimited');
      assert.deepEqual([r.user, r.subject, r.limit, r.window], ['anonymous', 'admin', '5', '5 minutes']);
    });
  });
}

describe('the management and compatibility APIs log and audit authentication like the gateway', () => {
  let t: TestNode;
  const newLines = lineReader(() => t);
  const records = async (action: string) => {
    await t.node.runtime.auditQueue.flush();
    const all = await t.node.ctx.store.audit.search({ category: 'authentication' }, 1000);
    return all.filter((r) => r.action === action);
  };

  before(async () => {
    t = await startTestNode(null);
    await t.settings({
      'audit.events.authSuccess': true,
      'audit.events.authFailedToken': true,
      'audit.events.authFailedVerification': true,
      'audit.events.permissionDenied': true,
    });
    newLines.skip();
  });
  after(async () => {
    await t.close();
  });

  it('token guessing against the management API leaves an INFO line and an audit record, with the path', async () => {
    const { generateToken } = await import('../src/domain/token/format.js');
    const guess = generateToken();
    const r = await fetch(`${t.adminUrl}/_tokengate/api/v1/tokens`, {
      headers: { authorization: `Bearer ${guess}` },
    });
    assert.equal(r.status, 401);
    const lines = await newLines();
    assert.ok(
      lines.some((l) =>
        / INFO anonymous \S+ - 127\.0\.0\.1 \/_tokengate\/api\/v1\/tokens \[auth\] Token verification for user anonymous failed: No matching API token was found\. REST endpoint: \/_tokengate\/api\/v1\/tokens$/.test(
          l,
        ),
      ),
      lines.join('\n'),
    );
    const [rec] = await records('auth.verification-failed');
    assert.ok(rec, 'an auth.verification-failed record');
    assert.equal(rec.endpoint, '/_tokengate/api/v1/tokens');
    assert.equal(rec.method, 'GET');
    assert.equal(rec.sourceIp, '127.0.0.1');
    assert.equal(rec.author, 'anonymous');
    assert.ok(!JSON.stringify(rec).includes(guess), 'no secret in the record');
    assert.ok(!lines.join('\n').includes(guess), 'no secret in the log');
  });

  it('a valid token on the compatibility API: the found line, the filter line and an auth.success record by the user', async () => {
    const alice = await t.tokenFor('admin', { description: 'compat script' });
    const r = await fetch(`${t.url}${SEED_PATH}`, { headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(r.status, 200);
    const lines = await newLines();
    assert.ok(
      lines.some((l) =>
        /\[auth\] Found a matching token "compat script" with Read & Write scope and authenticated user admin\. Token was created on \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M UTC\. REST endpoint: \/rest\/de\.resolution\.apitokenauth\/latest\/user\/token$/.test(
          l,
        ),
      ),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => / INFO admin .*\[auth\.filter\] User successfully authenticated$/.test(l)));
    const rec = (await records('auth.success')).find((x) => x.tokenId === alice.id);
    assert.ok(rec, 'an auth.success record');
    assert.equal(rec.author, 'admin', 'the real user, not Anonymous');
    assert.equal(rec.endpoint, SEED_PATH);
  });

  it('a read token writing on the compatibility API: a permission-denied record authored by its owner', async () => {
    const reader = await t.tokenFor('admin', { description: 'compat reader', scope: 'read' });
    const r = await fetch(`${t.url}${SEED_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tokenDescription: 'nope' }),
    });
    assert.equal(r.status, 403);
    const rec = (await records('auth.permission-denied')).find((x) => x.tokenId === reader.id);
    assert.ok(rec, 'an auth.permission-denied record');
    assert.equal(rec.author, 'admin');
    assert.equal(rec.method, 'POST');
    assert.equal(rec.endpoint, SEED_PATH);
  });

  it('a wrong password on the management API: a line and an auth.failed record naming the user', async () => {
    const r = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
      headers: { authorization: basicAuth('admin', 'wrong-password-1') },
    });
    assert.equal(r.status, 401);
    const lines = await newLines();
    assert.ok(
      lines.some((l) =>
        /\[auth\] Authentication for user admin failed: the user name or password is wrong\./.test(l),
      ),
      lines.join('\n'),
    );
    const rec = (await records('auth.failed')).find((x) => x.outcome === 'invalid-password');
    assert.ok(rec, 'an auth.failed record with outcome invalid-password');
    assert.equal(rec.affectedUser, 'admin');
    assert.ok(!JSON.stringify(rec).includes('wrong-password-1'));
  });

  it('cannot tell a right password from a wrong one: both are 403, before the password is checked', async () => {
    await t.settings({ 'auth.allowedIps': ['10.0.0.0/8'] });
    try {
      const statuses: number[] = [];
      for (const password of ['admin-password-1', 'wrong-password-1']) {
        const r = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
          headers: { authorization: basicAuth('admin', password) },
        });
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      assert.deepEqual(statuses, [403, 403]);
    } finally {
      await t.settings({ 'auth.allowedIps': [] });
    }
  });

  it('changes get an INFO line too, not only an audit record: token created, rotated and revoked; a setting changed', async () => {
    const mark = t.lines.length;
    const created = await t.tokenFor('admin', { description: 'lifecycle', scope: 'read' });
    await t.node.ctx.tokens.rotate(CLI_PRINCIPAL, cli, created.id, undefined, true);
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, created.id, true);
    await t.settings({ 'rateLimit.requests': 7 });
    await t.node.logs.flush();
    const lines = t.lines.slice(mark).map((l) => l.trimEnd());
    const find = (re: RegExp): string | undefined => lines.find((l) => re.test(l));
    const id = created.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.ok(
      find(
        new RegExp(
          String.raw` INFO @cli .*\[tokens\] .*created.*\(token\.created, token id ${id}, scope read\)$`,
        ),
      ),
      lines.join('\n'),
    );
    assert.ok(find(new RegExp(String.raw`\[tokens\] .*\(token\.rotated, token id ${id}`)), lines.join('\n'));
    assert.ok(find(new RegExp(String.raw`\[tokens\] .*\(token\.revoked, token id ${id}`)), lines.join('\n'));
    assert.ok(
      find(/\[settings\] Setting rateLimit\.requests changed from 5 to 7 \(settings\.changed\)$/),
      lines.join('\n'),
    );
    for (const l of lines) assert.doesNotMatch(l, /tgp_[0-9A-Za-z]{36}/, 'no token in a change line');
  });
});
