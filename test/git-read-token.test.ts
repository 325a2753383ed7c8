import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import {
  commitFile,
  gitAsync,
  makeBareRepo,
  requireGit,
  startGitServer,
  type GitServer,
} from './support/git-server.js';
import { basicAuth, cli, startTestNode, type TestNode } from './support/node.js';

const tools = requireGit();

/**
 * Finding 8 of issue 14: the `git` read preset let a read token POST to any path ending in
 * `/git-upload-pack` (an Elasticsearch `POST /orders/_doc/git-upload-pack` with a JSON body went
 * through), and a read token's `git push` failed with git's confusing "RPC failed … Everything
 * up-to-date" because the receive-pack discovery GET was allowed. The preset now admits exactly
 * Git's upload-pack exchange, and the receive-pack discovery is refused with a text/plain 403 that
 * git shows its user as `remote: …`.
 */
describe(
  'the git read preset admits only the upload-pack exchange',
  { skip: 'skip' in tools ? tools.skip : false },
  () => {
    let dir: string;
    let gitServer: GitServer;
    let t: TestNode;
    let readToken: string;
    let port: string;
    const USER = 'frank';

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tokengate-git-read-'));
      await makeBareRepo(join(dir, 'srv'), 'repo');
      gitServer = await startGitServer(join(dir, 'srv'));
      t = await startTestNode(gitServer.url);
      // git sends its token only after a 401 challenge (see git-clone.test.ts).
      await t.settings({ 'auth.requireAuthentication': true });
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: USER, groups: ['dev'] });
      readToken = (await t.tokenFor(USER, { description: 'git read', scope: 'read' })).token;
      port = new URL(t.url).port;
    });

    after(async () => {
      await t?.close();
      await gitServer?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('refuses a read token POST …/git-upload-pack that is not Git (a JSON body), before the upstream', async () => {
      const before = gitServer.requests.length;
      for (const [path, type] of [
        ['/orders/_doc/git-upload-pack', 'application/json'],
        ['/repo.git/git-upload-pack', 'application/json'],
        ['/repo.git/git-upload-pack', 'text/plain'],
        ['/repo.git/git-upload-pack', 'application/x-git-receive-pack-request'],
      ] as const) {
        const r = await fetch(`${t.url}${path}`, {
          method: 'POST',
          headers: { authorization: basicAuth(USER, readToken), 'content-type': type },
          body: JSON.stringify({ query: { match_all: {} } }),
        });
        assert.equal(r.status, 403, `${path} ${type}: ${await r.text()}`);
      }
      const post = await fetch(`${t.url}/orders/_doc/git-upload-pack`, {
        method: 'POST',
        headers: { authorization: basicAuth(USER, readToken) },
        body: '{}',
      });
      assert.equal(post.status, 403, 'no Content-Type at all');
      assert.equal(gitServer.requests.length, before, 'nothing reached the upstream');
    });

    it('clones with the read token (the real upload-pack exchange)', async () => {
      const r = await gitAsync(
        ['clone', `http://${USER}:${readToken}@127.0.0.1:${port}/repo.git`, join(dir, 'clone')],
        {},
      );
      assert.equal(r.code, 0, r.stderr);
    });

    it("refuses the read token's push at the receive-pack discovery, and git shows the reason as remote: …", async () => {
      const work = join(dir, 'clone');
      commitFile(work, 'read.txt', 'pushed with a read token\n');
      const before = gitServer.requests.length;
      const r = await gitAsync(['push', 'origin', 'main'], { cwd: work });
      assert.notEqual(r.code, 0, 'the push must fail');
      assert.match(r.stderr, /remote: .*read-only/, r.stderr);
      assert.match(r.stderr, /remote: .*push.*write token/, r.stderr);
      assert.doesNotMatch(r.stderr, /RPC failed|Everything up-to-date/, r.stderr);
      const seen = gitServer.requests.slice(before);
      assert.deepEqual(
        seen.map((q) => `${q.method} ${q.url}`),
        [],
        'neither the receive-pack discovery nor its POST reached git-http-backend',
      );
    });

    it('answers the receive-pack discovery GET with a text/plain 403', async () => {
      const r = await fetch(`${t.url}/repo.git/info/refs?service=git-receive-pack`, {
        headers: { authorization: basicAuth(USER, readToken) },
      });
      assert.equal(r.status, 403);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(await r.text(), /read-only/);
    });

    it('refuses the receive-pack discovery in every spelling a Git server reads as one, proxy and forward-auth (red team)', async () => {
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
      const before = gitServer.requests.length;
      for (const target of [
        '/repo.git/info/refs/?service=git-receive-pack',
        '/repo.git/info/refs?service=GIT-RECEIVE-PACK',
        '/repo.git/info/refs?Service=git-receive-pack',
        '/repo.git/info/refs?;service=git-receive-pack',
      ]) {
        const r = await fetch(`${t.url}${target}`, {
          headers: { authorization: basicAuth(USER, readToken) },
        });
        assert.equal(r.status, 403, `proxy ${target}: ${await r.text()}`);
        const f = await fetch(`${t.url}/_tokengate/auth`, {
          headers: {
            authorization: basicAuth(USER, readToken),
            'x-forwarded-method': 'GET',
            'x-forwarded-uri': target,
          },
        });
        assert.equal(f.status, 403, `forward-auth ${target}: ${await f.text()}`);
      }
      assert.equal(gitServer.requests.length, before, 'no discovery reached git-http-backend');
    });
  },
);
