import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { isWellFormedToken } from '../src/domain/token/format.js';
import { COMPAT_RESOLUTION_PATH } from '../src/http/api/routes/compat-resolution.js';
import { addMonths, requestedExpiry, toFilters } from '../src/http/api/routes/compat-resolution/mapping.js';
import { recordArtifact } from './support/artifacts.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * The seed app's REST API, compatible subset (docs/migration.md): a script written against the
 * original creates, lists, renames and deletes a token; shapes, validation, permissions and audit
 * follow tokengate's rules; with `compat.resolutionApi: false` the paths go to the upstream.
 */

const API = '/_tokengate/api/v1';
const COMPAT = COMPAT_RESOLUTION_PATH;
const SCRIPT = fileURLToPath(new URL('../docs/examples/resolution-api-script.sh', import.meta.url));
const DAY = 86_400_000;
/** bash by its path: the python-only run gives the script a PATH without it. */
const BASH = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

/** The service takes its own clock reading after the route's: allow that much between them. */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1000, `${what}: ${actual} is not near ${expected}`);
}

const ADMIN = basicAuth('admin', 'admin-password-1');
const ALICE_PASSWORD = 'alice-password-1';
const ALICE = basicAuth('alice', ALICE_PASSWORD);
const BOB = basicAuth('bob', 'bob-password-1');
const MIA = basicAuth('mia', 'mia-password-1');

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  data: unknown;
}

async function request(url: string, method: string, auth: string | null, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: text, data };
}

interface CompatTokenBody {
  id: string;
  description: string;
  created: number;
  lastAccessed: number;
  validUntil: number;
  tokenScope: number;
  userKey: string;
}
interface CompatPageBody {
  content: CompatTokenBody[];
  totalElements: number;
  totalPages: number;
  number: number;
  size: number;
  numberOfElements: number;
  first: boolean;
  last: boolean;
  empty: boolean;
}
interface CreatedBody extends CompatTokenBody {
  plainTextToken: string;
  tokenExpirationDateTime: string | null;
  tokenExpirationDateTimeMillis: number;
}
interface ErrorBody {
  errorMessage: string;
  error: { code: string; message: string; details?: Array<{ field: string }> };
}
interface TokenView {
  id: string;
  user: string;
  description: string;
  status: string;
  scope: string;
  createdAt: string;
  expiresAt: string | null;
}

/** Runs the example script as an administrator would, with only the environment it documents. */
function runScript(
  t: TestNode,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BASH, [SCRIPT, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BASE_URL: t.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // What the script prints is read by people: it must hold no secret (the suite's secrets scan).
      recordArtifact('log', `resolution-api-script.sh ${args[0] ?? 'demo'}`, stdout + stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('seed app REST API: compatible subset', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let dir: string;
  const compat = (path: string): string => `${t.url}${COMPAT}${path}`;
  const ownTokens = async (auth: string): Promise<TokenView[]> =>
    ((await request(`${t.adminUrl}${API}/tokens`, 'GET', auth)).data as { items: TokenView[] }).items;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    dir = mkdtempSync(join(tmpdir(), 'tg-compat-'));
    const users = t.node.ctx.users;
    await users.create(CLI_PRINCIPAL, cli, { username: 'alice', password: ALICE_PASSWORD, groups: ['dev'] });
    await users.create(CLI_PRINCIPAL, cli, { username: 'bob', password: 'bob-password-1', groups: ['dev'] });
    await users.create(CLI_PRINCIPAL, cli, {
      username: 'mia',
      password: 'mia-password-1',
      groups: ['token-managers'],
    });
    await t.settings({ 'permissions.manageAllTokens': ['token-managers'], 'tokens.maxPerUser': 100 });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
    await up.close();
  });

  describe('the example script (docs/examples/resolution-api-script.sh)', () => {
    const env = { API_USER: 'alice', API_PASSWORD: ALICE_PASSWORD };

    it('creates, lists, renames and deletes a token; the token works at the gateway until deleted', async () => {
      const tokenFile = join(dir, 'token');
      const created = await runScript(t, ['create', 'ci deploy', '3'], { ...env, TOKEN_FILE: tokenFile });
      assert.equal(created.code, 0, created.stderr);
      const id = /created token (tok_\S+)/.exec(created.stdout)?.[1];
      assert.ok(id, created.stdout);
      const token = readFileSync(tokenFile, 'utf8').trim();
      assert.ok(isWellFormedToken(token, 'tgp'), 'the token file holds no token');
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);

      // tokengate's own API sees what the script made.
      let mine = (await ownTokens(ALICE)).find((x) => x.id === id);
      assert.ok(mine, "the token is not in tokengate's list");
      assert.equal(mine.description, 'ci deploy');
      assert.equal(mine.status, 'active');
      near(Date.parse(mine.expiresAt ?? ''), addMonths(Date.parse(mine.createdAt), 3), 'expiry');

      // The token authenticates at the gateway: the upstream answers.
      const before = up.seen.length;
      const viaGateway = await request(`${t.url}/data`, 'GET', `Bearer ${token}`);
      assert.equal(viaGateway.status, 200);
      assert.equal(viaGateway.headers.get('x-upstream'), 'echo');
      assert.equal(up.seen.length, before + 1);

      const listed = await runScript(t, ['list'], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${id}\\s+created \\d{4}-.*"ci deploy"`));

      const renamed = await runScript(t, ['rename', id, 'ci deploy (renamed)'], env);
      assert.equal(renamed.code, 0, renamed.stderr);
      mine = (await ownTokens(ALICE)).find((x) => x.id === id);
      assert.equal(mine?.description, 'ci deploy (renamed)');
      assert.equal((await request(`${t.url}/data`, 'GET', `Bearer ${token}`)).status, 200);

      const deleted = await runScript(t, ['delete', id], env);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.match(deleted.stdout, new RegExp(`deleted token ${id}`));
      mine = (await ownTokens(ALICE)).find((x) => x.id === id);
      assert.equal(
        mine?.status,
        'revoked',
        'tokengate keeps the deleted token, revoked, for the audit trail',
      );
      assert.equal((await request(`${t.url}/data`, 'GET', `Bearer ${token}`)).status, 401);
      assert.equal(up.seen.length, before + 2, 'the revoked token did not reach the upstream');

      const relisted = await runScript(t, ['list'], env);
      assert.equal(relisted.code, 0, relisted.stderr);
      assert.ok(!relisted.stdout.includes(id), 'a deleted token is gone from the list');
      for (const out of [created, listed, renamed, deleted, relisted]) {
        assert.ok(!(out.stdout + out.stderr).includes(token), 'the script printed the token');
      }
    });

    it('runs its whole demo with python3 alone (no jq), as on a Debian without jq', async (ctx) => {
      const real = (name: string): string | null => {
        try {
          return name === 'python3'
            ? execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
                encoding: 'utf8',
              }).trim()
            : execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
        } catch {
          return null;
        }
      };
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      for (const name of ['curl', 'python3', 'date']) {
        const path = real(name);
        if (path === null) {
          ctx.skip(`${name} is not installed`);
          return;
        }
        symlinkSync(path, join(bin, name));
      }
      const run = await runScript(t, [], { ...env, PATH: bin });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const id = /created token (tok_\S+)/.exec(run.stdout)?.[1];
      assert.ok(id, run.stdout);
      assert.match(run.stdout, new RegExp(`renamed token ${id} to "migration check \\(renamed\\)"`));
      assert.match(run.stdout, new RegExp(`deleted token ${id}`));
      const mine = (await ownTokens(ALICE)).find((x) => x.id === id);
      assert.equal(mine?.description, 'migration check (renamed)');
      assert.equal(mine?.status, 'revoked');
      // Its last list, after the deletion, no longer shows it.
      const lastList = run.stdout.slice(run.stdout.lastIndexOf('tokens of alice:'));
      assert.ok(!lastList.includes(id), run.stdout);
    });

    it("stops with the server's errorMessage on an error", async () => {
      const run = await runScript(t, ['rename', 'tok_doesnotexist', 'x'], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /answered 404: token tok_doesnotexist does not exist/);
    });
  });

  describe('endpoint shapes', () => {
    it('POST /user/token takes months, an ISO date-time or epoch ms, and returns plainTextToken once', async () => {
      const byMonths = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'by months',
        tokenValidityTimeInMonths: 2,
      });
      assert.equal(byMonths.status, 200, byMonths.body);
      const c = byMonths.data as CreatedBody;
      assert.ok(isWellFormedToken(c.plainTextToken, 'tgp'), 'plainTextToken is not a token');
      assert.match(c.id, /^tok_/);
      assert.equal(typeof c.created, 'number');
      assert.equal(c.lastAccessed, 0);
      near(c.validUntil, addMonths(c.created, 2), 'validUntil');
      assert.equal(c.tokenExpirationDateTimeMillis, c.validUntil);
      assert.equal(c.tokenExpirationDateTime, new Date(c.validUntil).toISOString());
      assert.equal(c.tokenScope, 1, "tokengate's default scope: read");
      assert.equal(c.userKey, 'alice');

      const iso = new Date(Date.now() + 40 * DAY);
      iso.setUTCMilliseconds(0);
      // The original's example form: milliseconds and a +02:00 offset.
      const shifted = new Date(iso.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
      const byDate = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'by date',
        tokenExpirationDateTime: shifted,
        tokenScope: 2,
      });
      assert.equal(byDate.status, 200, byDate.body);
      assert.equal((byDate.data as CreatedBody).validUntil, iso.getTime());
      assert.equal((byDate.data as CreatedBody).tokenScope, 2);

      const ms = Date.now() + 10 * DAY;
      const byMillis = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'by millis',
        tokenExpirationDateTimeMillis: ms,
      });
      assert.equal(byMillis.status, 200, byMillis.body);
      assert.equal((byMillis.data as CreatedBody).validUntil, ms);

      const byDefault = await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'default' });
      assert.equal(byDefault.status, 200, byDefault.body);
      const d = byDefault.data as CreatedBody;
      near(d.validUntil - d.created, 90 * DAY, 'tokens.defaultValidityDays');

      const views = await ownTokens(ALICE);
      assert.equal(views.find((v) => v.id === (byDate.data as CreatedBody).id)?.scope, 'write');
      assert.ok(!JSON.stringify(views).includes(c.plainTextToken), 'a list shows the secret');
    });

    it('GET /user/token lists content[] with epoch-ms numbers, in a Spring page, without deleted tokens', async () => {
      const made = (await request(compat('/user/token'), 'POST', BOB, { tokenDescription: 'bob list' }))
        .data as CreatedBody;
      const gone = (await request(compat('/user/token'), 'POST', BOB, { tokenDescription: 'bob gone' }))
        .data as CreatedBody;
      // Used once, so lastAccessed is set (written in batches: wait for it).
      assert.equal((await request(`${t.url}/data`, 'GET', `Bearer ${made.plainTextToken}`)).status, 200);
      const del = await request(compat(`/user/token/${gone.id}`), 'DELETE', BOB);
      assert.equal(del.status, 200);
      let page: CompatPageBody | undefined;
      for (let i = 0; i < 50; i++) {
        const r = await request(compat('/user/token/'), 'GET', BOB);
        assert.equal(r.status, 200, r.body);
        page = r.data as CompatPageBody;
        if ((page.content.find((x) => x.id === made.id)?.lastAccessed ?? 0) > 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(page, 'no page');
      const row = page.content.find((x) => x.id === made.id);
      assert.ok(row, 'the token is not listed');
      for (const key of ['created', 'lastAccessed', 'validUntil'] as const) {
        assert.equal(typeof row[key], 'number', key);
        assert.ok(Number.isInteger(row[key]), key);
      }
      assert.ok(row.lastAccessed >= row.created, 'lastAccessed before created');
      assert.equal(row.validUntil, made.validUntil);
      assert.equal(row.description, 'bob list');
      assert.ok(!page.content.some((x) => x.id === gone.id), 'a deleted token is not listed');
      assert.ok(!('plainTextToken' in row), 'a list shows the secret');
      assert.deepEqual(
        { number: page.number, first: page.first, last: page.last, totalPages: page.totalPages },
        { number: 0, first: true, last: true, totalPages: 1 },
      );
      assert.equal(page.totalElements, page.content.length);
      assert.equal(page.numberOfElements, page.content.length);
    });

    it('PATCH changes the description; DELETE returns true; both then 404 for the deleted token', async () => {
      const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'to rename' }))
        .data as CreatedBody;
      const patched = await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, {
        tokenDescription: 'renamed',
      });
      assert.equal(patched.status, 200, patched.body);
      assert.equal((patched.data as CompatTokenBody).description, 'renamed');
      assert.equal((patched.data as CompatTokenBody).id, c.id);

      const del = await request(compat(`/user/token/${c.id}`), 'DELETE', ALICE);
      assert.equal(del.status, 200);
      assert.equal(del.body, 'true');
      assert.match(del.headers.get('content-type') ?? '', /^application\/json/);

      const again = await request(compat(`/user/token/${c.id}`), 'DELETE', ALICE);
      assert.equal(again.status, 404);
      assert.equal((again.data as ErrorBody).error.code, 'not_found');
      assert.equal(
        (await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, { tokenDescription: 'x' })).status,
        404,
      );
      assert.equal((await request(compat('/user/token/4711'), 'DELETE', ALICE)).status, 404, 'numeric ids');
    });

    it('GET /user/tokensByFilter filters by user, description, scope and times, and pages from 0', async () => {
      const mk = async (auth: string, body: Record<string, unknown>) =>
        ((await request(compat('/user/token'), 'POST', auth, body)).data as CreatedBody).id;
      const a1 = await mk(ALICE, { tokenDescription: 'filter-me one', tokenScope: 2 });
      const a2 = await mk(ALICE, { tokenDescription: 'filter-me two', tokenValidityTimeInMonths: 1 });
      const b1 = await mk(BOB, { tokenDescription: 'filter-me three' });
      const b2 = await mk(BOB, { tokenDescription: 'filter-me four' });
      assert.equal((await request(compat(`/user/token/${b2}`), 'DELETE', BOB)).status, 200);

      const q = async (query: string) => {
        const r = await request(compat(`/user/tokensByFilter?${query}`), 'GET', ADMIN);
        assert.equal(r.status, 200, `${query}: ${r.body}`);
        return r.data as CompatPageBody;
      };
      const ids = (p: CompatPageBody) => p.content.map((x) => x.id);

      const all = await q('descriptionFilter=FILTER-ME');
      assert.deepEqual(ids(all), [b1, a2, a1], 'newest first, deleted left out, case-insensitive');
      assert.equal(all.totalElements, 3);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&userFilter=alice')), [a2, a1]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&userFilter=alice&userFilter=bob')), [
        b1,
        a2,
        a1,
      ]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&tokenScope=2')), [a1]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&tokenScope=0')), [], 'no unscoped tokens');
      const soon = Date.now() + 40 * DAY;
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&notValidAfter=${soon}`)), [a2]);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&untilExpiresDuring=${soon}`)), [a2]);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&fromExpiresDuring=${soon}`)), [b1, a1]);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&fromCreated=${Date.now() + DAY}`)), []);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&untilCreated=${Date.now() + DAY}`)), [
        b1,
        a2,
        a1,
      ]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&fromLastUsed=1')), [], 'none used yet');

      const p0 = await q('descriptionFilter=filter-me&page=0&limit=2');
      assert.deepEqual(ids(p0), [b1, a2]);
      assert.deepEqual(
        { totalElements: p0.totalElements, totalPages: p0.totalPages, number: p0.number, size: p0.size },
        { totalElements: 3, totalPages: 2, number: 0, size: 2 },
      );
      assert.equal(p0.first, true);
      assert.equal(p0.last, false);
      const p1 = await q('descriptionFilter=filter-me&page=1&limit=2');
      assert.deepEqual(ids(p1), [a1]);
      assert.equal(p1.last, true);
      assert.equal(p1.numberOfElements, 1);
      const p9 = await q('descriptionFilter=filter-me&page=9&limit=2');
      assert.equal(p9.empty, true);
      assert.equal(p9.content.length, 0);
    });
  });

  describe('validation: 400 naming the field, never 500', () => {
    const cases: Array<[string, unknown, string]> = [
      ['months 0', { tokenDescription: 'x', tokenValidityTimeInMonths: 0 }, 'tokenValidityTimeInMonths'],
      ['months -3', { tokenDescription: 'x', tokenValidityTimeInMonths: -3 }, 'tokenValidityTimeInMonths'],
      ['months 1.5', { tokenDescription: 'x', tokenValidityTimeInMonths: 1.5 }, 'tokenValidityTimeInMonths'],
      ['months "3"', { tokenDescription: 'x', tokenValidityTimeInMonths: '3' }, 'tokenValidityTimeInMonths'],
      [
        'bad date',
        { tokenDescription: 'x', tokenExpirationDateTime: 'next tuesday' },
        'tokenExpirationDateTime',
      ],
      [
        'date 30 Feb',
        { tokenDescription: 'x', tokenExpirationDateTime: '2030-02-30' },
        'tokenExpirationDateTime',
      ],
      [
        'date without zone',
        { tokenDescription: 'x', tokenExpirationDateTime: '2030-01-01T10:00:00' },
        'tokenExpirationDateTime',
      ],
      [
        'date past',
        { tokenDescription: 'x', tokenExpirationDateTime: '2001-01-01' },
        'tokenExpirationDateTime',
      ],
      ['date a number', { tokenDescription: 'x', tokenExpirationDateTime: 1 }, 'tokenExpirationDateTime'],
      [
        'millis past',
        { tokenDescription: 'x', tokenExpirationDateTimeMillis: 1000 },
        'tokenExpirationDateTimeMillis',
      ],
      [
        'millis huge',
        { tokenDescription: 'x', tokenExpirationDateTimeMillis: 1e300 },
        'tokenExpirationDateTimeMillis',
      ],
      [
        'months and date',
        { tokenDescription: 'x', tokenValidityTimeInMonths: 1, tokenExpirationDateTime: '2030-01-01' },
        'tokenExpirationDateTime',
      ],
      [
        'date and millis',
        { tokenDescription: 'x', tokenExpirationDateTime: '2030-01-01', tokenExpirationDateTimeMillis: 1 },
        'tokenExpirationDateTimeMillis',
      ],
      ['description too long', { tokenDescription: 'd'.repeat(256) }, 'tokenDescription'],
      ['description blank', { tokenDescription: '   ' }, 'tokenDescription'],
      ['description control chars', { tokenDescription: 'a\u202eb' }, 'tokenDescription'],
      ['description missing', { tokenValidityTimeInMonths: 1 }, 'tokenDescription'],
      ['description a number', { tokenDescription: 5 }, 'tokenDescription'],
      ['unknown field', { tokenDescription: 'x', scope: 'write' }, 'scope'],
      ['scope 3', { tokenDescription: 'x', tokenScope: 3 }, 'tokenScope'],
      ['not an object', [1, 2], 'body'],
      ['bad JSON', '{"tokenDescription": ', 'body'],
    ];
    for (const [name, body, field] of cases) {
      it(`POST /user/token: ${name}`, async () => {
        const r = await request(compat('/user/token'), 'POST', ALICE, body);
        assert.equal(r.status, 400, r.body);
        const e = r.data as ErrorBody;
        assert.equal(e.error.code, 'invalid_request');
        assert.ok(
          e.errorMessage.startsWith(`${field}:`) || e.errorMessage.startsWith(`${field} `),
          e.errorMessage,
        );
        assert.equal(e.errorMessage, e.error.message);
      });
    }

    it('PATCH: a description too long or blank names tokenDescription', async () => {
      const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'patch me' }))
        .data as CreatedBody;
      for (const tokenDescription of ['d'.repeat(256), ' ', undefined]) {
        const r = await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, { tokenDescription });
        assert.equal(r.status, 400, r.body);
        assert.match((r.data as ErrorBody).errorMessage, /^tokenDescription/);
      }
      const unknown = await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, {
        tokenDescription: 'y',
        description: 'y',
      });
      assert.equal(unknown.status, 400);
      assert.match((unknown.data as ErrorBody).errorMessage, /^description: is not a known field/);
    });

    it('tokensByFilter: bad paging and times name the query parameter', async () => {
      for (const [query, field] of [
        ['page=-1', 'query.page'],
        ['limit=0', 'query.limit'],
        ['limit=100000', 'query.limit'],
        ['fromCreated=yesterday', 'query.fromCreated'],
        ['notValidAfter=1.5', 'query.notValidAfter'],
        ['tokenScope=7', 'query.tokenScope'],
        ['start=0', 'query.start'],
      ] as const) {
        const r = await request(compat(`/user/tokensByFilter?${query}`), 'GET', ADMIN);
        assert.equal(r.status, 400, `${query}: ${r.body}`);
        assert.match((r.data as ErrorBody).errorMessage, new RegExp(`^${field.replace('.', '\\.')}`), query);
      }
    });

    it('an expiry beyond tokens.maxValidityDays is a policy_violation with errorMessage', async () => {
      for (const body of [
        { tokenDescription: 'x', tokenValidityTimeInMonths: 13 },
        { tokenDescription: 'x', tokenExpirationDateTimeMillis: Date.now() + 400 * DAY },
      ]) {
        const r = await request(compat('/user/token'), 'POST', ALICE, body);
        assert.equal(r.status, 400, r.body);
        const e = r.data as ErrorBody;
        assert.equal(e.error.code, 'policy_violation');
        assert.match(e.errorMessage, /beyond the maximum validity of 365 days/);
      }
    });

    it('months are calendar months; 12 months over a 29 February still fit a 365-day maximum', () => {
      const at = (iso: string) => Date.parse(iso);
      assert.equal(addMonths(at('2027-01-31T10:00:00Z'), 1), at('2027-02-28T10:00:00Z'));
      assert.equal(addMonths(at('2027-12-15T00:00:00.123Z'), 3), at('2028-03-15T00:00:00.123Z'));
      const now = at('2027-03-15T12:00:00Z');
      // 2027-03-15 + 12 months = 2028-03-15: 366 days. Cut to the maximum instead of refused.
      assert.equal(
        requestedExpiry({ tokenDescription: 'x', tokenValidityTimeInMonths: 12 }, now, 365),
        new Date(now + 365 * DAY).toISOString(),
      );
      // 13 months is past the maximum by far: left to the policy, which refuses it.
      assert.equal(
        requestedExpiry({ tokenDescription: 'x', tokenValidityTimeInMonths: 13 }, now, 365),
        new Date(at('2028-04-15T12:00:00Z')).toISOString(),
      );
      assert.equal(requestedExpiry({ tokenDescription: 'x' }, now, 365), undefined);
      assert.deepEqual(toFilters({ notValidAfter: 5, untilExpiresDuring: 9 }), [{ expiresTo: 5 }]);
      assert.equal(toFilters({ tokenScope: 0 }), null);
    });
  });

  describe('permissions', () => {
    it("a user cannot PATCH or DELETE another user's token (404), and it stays intact", async () => {
      const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'alice only' }))
        .data as CreatedBody;
      const patch = await request(compat(`/user/token/${c.id}`), 'PATCH', BOB, {
        tokenDescription: 'bob was here',
      });
      assert.equal(patch.status, 404, patch.body);
      assert.equal((patch.data as ErrorBody).error.code, 'not_found');
      const del = await request(compat(`/user/token/${c.id}`), 'DELETE', BOB);
      assert.equal(del.status, 404, del.body);
      const mine = (await ownTokens(ALICE)).find((x) => x.id === c.id);
      assert.equal(mine?.description, 'alice only');
      assert.equal(mine?.status, 'active');
      assert.equal((await request(`${t.url}/data`, 'GET', `Bearer ${c.plainTextToken}`)).status, 200);
    });

    it('tokensByFilter needs manageAllTokens (403 otherwise); a token manager may delete any token', async () => {
      const denied = await request(compat('/user/tokensByFilter'), 'GET', BOB);
      assert.equal(denied.status, 403, denied.body);
      assert.match((denied.data as ErrorBody).errorMessage, /manageAllTokens/);

      const c = (await request(compat('/user/token'), 'POST', BOB, { tokenDescription: 'managed' }))
        .data as CreatedBody;
      const seen = await request(
        compat('/user/tokensByFilter?userFilter=bob&descriptionFilter=managed'),
        'GET',
        MIA,
      );
      assert.equal(seen.status, 200, seen.body);
      assert.deepEqual(
        (seen.data as CompatPageBody).content.map((x) => [x.id, x.userKey]),
        [[c.id, 'bob']],
      );
      const del = await request(compat(`/user/token/${c.id}`), 'DELETE', MIA);
      assert.equal(del.status, 200, del.body);
      assert.equal((await ownTokens(BOB)).find((x) => x.id === c.id)?.status, 'revoked');
    });

    it('a token cannot create a token (403), by Bearer or Basic user:token', async () => {
      const c = (
        await request(compat('/user/token'), 'POST', ALICE, {
          tokenDescription: 'a write token',
          tokenScope: 2,
        })
      ).data as CreatedBody;
      for (const auth of [`Bearer ${c.plainTextToken}`, basicAuth('alice', c.plainTextToken)]) {
        const r = await request(compat('/user/token'), 'POST', auth, { tokenDescription: 'minted' });
        assert.equal(r.status, 403, r.body);
        assert.match((r.data as ErrorBody).errorMessage, /tokens cannot create tokens/);
        // Reading your list with a token is fine.
        assert.equal((await request(compat('/user/token'), 'GET', auth)).status, 200);
      }
      assert.ok(!(await ownTokens(ALICE)).some((x) => x.description === 'minted'), 'a token minted a token');
    });

    it('tokenForUserKey creates for another user only with manageAllTokens', async () => {
      const refused = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'for bob',
        tokenForUserKey: 'bob',
      });
      assert.equal(refused.status, 403, refused.body);
      const made = await request(compat('/user/token'), 'POST', MIA, {
        tokenDescription: 'for bob by mia',
        tokenForUserKey: 'bob',
      });
      assert.equal(made.status, 200, made.body);
      assert.equal((made.data as CreatedBody).userKey, 'bob');
      const unknown = await request(compat('/user/token'), 'POST', MIA, {
        tokenDescription: 'for nobody',
        tokenForUserKey: 'nobody',
      });
      assert.equal(unknown.status, 404, unknown.body);
    });

    it('no credentials: 401 with WWW-Authenticate and errorMessage', async () => {
      const r = await request(compat('/user/token'), 'GET', null);
      assert.equal(r.status, 401);
      assert.ok(r.headers.get('www-authenticate'), 'no WWW-Authenticate');
      assert.equal(typeof (r.data as ErrorBody).errorMessage, 'string');
      const unknownRoute = await request(compat('/user/token/deleteAllFor/bob'), 'DELETE', ADMIN);
      assert.equal(unknownRoute.status, 404);
      assert.match((unknownRoute.data as ErrorBody).errorMessage, /compatible subset/);
    });
  });

  it('the audit log records the real user, the client IP and the compat endpoint for a creation', async () => {
    const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'audited' }))
      .data as CreatedBody;
    await t.node.runtime.auditQueue.flush();
    const r = await request(
      `${t.adminUrl}${API}/admin/audit?action=token.created&tokenId=${c.id}`,
      'GET',
      ADMIN,
    );
    assert.equal(r.status, 200, r.body);
    const items = (r.data as { items: Array<Record<string, unknown>> }).items;
    assert.equal(items.length, 1);
    const rec = items[0] ?? {};
    assert.equal(rec.author, 'alice');
    assert.equal(rec.affectedUser, 'alice');
    assert.equal(rec.tokenDescription, 'audited');
    assert.equal(rec.sourceIp, '127.0.0.1');
    assert.equal(rec.method, 'POST');
    assert.equal(rec.endpoint, `${COMPAT}/user/token`);
    assert.ok(!r.body.includes(c.plainTextToken), 'the audit shows the secret');
  });

  it('with compat.resolutionApi on, the upstream never sees the compat paths', async () => {
    const before = up.seen.length;
    assert.equal((await request(compat('/user/token'), 'GET', ALICE)).status, 200);
    assert.equal(up.seen.length, before);
  });
});

describe('seed app REST API: turned off', () => {
  it('with compat.resolutionApi false, the compat paths are proxied to the upstream', async () => {
    const up = await startEchoUpstream();
    const t = await startTestNode(up.url, (c) => {
      c.compat.resolutionApi = false;
    });
    try {
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice', password: ALICE_PASSWORD });
      for (const [method, path] of [
        ['GET', '/user/token'],
        ['POST', '/user/token'],
        ['GET', '/user/tokensByFilter?page=0&limit=1'],
      ] as const) {
        const r = await request(
          `${t.url}${COMPAT}${path}`,
          method,
          ALICE,
          method === 'POST' ? { tokenDescription: 'x' } : undefined,
        );
        assert.equal(r.status, 200, r.body);
        assert.equal(r.headers.get('x-upstream'), 'echo');
        assert.deepEqual(r.data, { ok: true, url: `${COMPAT}${path}` });
        assert.equal(up.seen.at(-1)?.url, `${COMPAT}${path}`);
      }
      assert.equal(
        (await t.node.ctx.tokens.listOwn({ username: 'alice', groups: [], via: 'cli' })).length,
        0,
      );
    } finally {
      await t.close();
      await up.close();
    }
  });
});
