import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { isWellFormedToken } from '../src/domain/token/format.js';
import { addMonths } from '../src/http/api/routes/compat-resolution/mapping.js';
import { recordArtifact } from './support/artifacts.js';
import { ALICE, ALICE_PASSWORD, COMPAT, near, request, useCompatNode } from './support/compat-resolution.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * The seed app's REST API, compatible subset (docs/migration.md), end to end: a script written
 * against the original creates, lists, renames and deletes a token through the gateway; with
 * `compat.resolutionApi: false` the paths go to the upstream. The route's own tests are beside it,
 * in src/http/api/routes/compat-resolution*.test.ts.
 */

const SCRIPT = fileURLToPath(new URL('../docs/examples/resolution-api-script.sh', import.meta.url));
/** bash by its path: the python-only run gives the script a PATH without it. */
const BASH = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

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

describe('seed app REST API: the example script', () => {
  const node = useCompatNode();
  const { ownTokens } = node;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-compat-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the example script (docs/examples/resolution-api-script.sh)', () => {
    const env = { API_USER: 'alice', API_PASSWORD: ALICE_PASSWORD };

    it('creates, lists, renames and deletes a token; the token works at the gateway until deleted', async () => {
      const tokenFile = join(dir, 'token');
      const created = await runScript(node.t, ['create', 'ci deploy', '3'], {
        ...env,
        TOKEN_FILE: tokenFile,
      });
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
      const before = node.up.seen.length;
      const viaGateway = await request(`${node.t.url}/data`, 'GET', `Bearer ${token}`);
      assert.equal(viaGateway.status, 200);
      assert.equal(viaGateway.headers.get('x-upstream'), 'echo');
      assert.equal(node.up.seen.length, before + 1);

      const listed = await runScript(node.t, ['list'], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${id}\\s+created \\d{4}-.*"ci deploy"`));

      const renamed = await runScript(node.t, ['rename', id, 'ci deploy (renamed)'], env);
      assert.equal(renamed.code, 0, renamed.stderr);
      mine = (await ownTokens(ALICE)).find((x) => x.id === id);
      assert.equal(mine?.description, 'ci deploy (renamed)');
      assert.equal((await request(`${node.t.url}/data`, 'GET', `Bearer ${token}`)).status, 200);

      const deleted = await runScript(node.t, ['delete', id], env);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.match(deleted.stdout, new RegExp(`deleted token ${id}`));
      mine = (await ownTokens(ALICE)).find((x) => x.id === id);
      assert.equal(
        mine?.status,
        'revoked',
        'tokengate keeps the deleted token, revoked, for the audit trail',
      );
      assert.equal((await request(`${node.t.url}/data`, 'GET', `Bearer ${token}`)).status, 401);
      assert.equal(node.up.seen.length, before + 2, 'the revoked token did not reach the upstream');

      const relisted = await runScript(node.t, ['list'], env);
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
      const run = await runScript(node.t, [], { ...env, PATH: bin });
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
      const run = await runScript(node.t, ['rename', 'tok_doesnotexist', 'x'], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /answered 404: token tok_doesnotexist does not exist/);
    });
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
