import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import {
  commitFile,
  git,
  gitAsync,
  makeBareRepo,
  requireGit,
  startGitServer,
  type GitServer,
  type RecordedRequest,
} from './support/git-server.js';
import { cli, startTestNode, type TestNode } from './support/node.js';

const tools = requireGit();

/**
 * A real `git` client against a real `git http-backend`, with the gateway in between: a read token
 * clones (the `git` preset of auth.readRules lets it POST …/git-upload-pack) and cannot push
 * (POST …/git-receive-pack is a write); a write token pushes, and git-http-backend accepts the push
 * because the gateway tells it who is authenticated through x-forwarded-user (REMOTE_USER).
 */
describe('git over the gateway', { skip: 'skip' in tools ? tools.skip : false }, () => {
  let dir: string;
  let bare: string;
  let gitServer: GitServer;
  let t: TestNode;
  let readToken: string;
  let writeToken: string;
  let port: string;
  let mark = 0;

  const USER = 'carol';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokengate-git-clone-test-'));
    bare = await makeBareRepo(join(dir, 'srv'), 'repo');
    gitServer = await startGitServer(join(dir, 'srv'));
    t = await startTestNode(gitServer.url);
    // git sends no credentials up front, even with user:token in the URL: libcurl waits for a 401
    // challenge to learn which scheme to use. With auth.requireAuthentication off the gateway would
    // pass the credential-less first request upstream as anonymous, git-http-backend would answer
    // it without asking for a login, and git would never present the token at all.
    await t.settings({ 'auth.requireAuthentication': true });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: USER, groups: ['dev'] });
    readToken = (await t.tokenFor(USER, { description: 'git read', scope: 'read' })).token;
    writeToken = (await t.tokenFor(USER, { description: 'git write', scope: 'write' })).token;
    port = new URL(t.url).port;
  });

  after(async () => {
    // The node is thrown away, but leave it as the other suites expect a node to be.
    if (t !== undefined) await t.settings({ 'auth.requireAuthentication': false });
    await t?.close();
    await gitServer?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const repoUrl = (secret: string): string => `http://${USER}:${secret}@127.0.0.1:${port}/repo.git`;
  /** Requests that reached the git server since the last `begin()`. */
  const reached = (): RecordedRequest[] => gitServer.requests.slice(mark);
  let logMark = 0;
  const begin = (): void => {
    mark = gitServer.requests.length;
    logMark = t.lines.length;
  };
  const newLog = async (): Promise<string[]> => {
    await t.node.logs.flush();
    return t.lines.slice(logMark).map((l) => l.trimEnd());
  };
  const headOf = (ref = 'main'): string => {
    const r = git(['--git-dir', bare, 'log', '--format=%s', '-1', ref], {});
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  it('clones with a read token; git-http-backend sees the user and the scope, never the token', async () => {
    begin();
    const work = join(dir, 'clone');
    const r = await gitAsync(['clone', repoUrl(readToken), work], {});
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(work, 'README.md')));
    assert.match(readFileSync(join(work, 'README.md'), 'utf8'), /# repo/);

    const seen = reached();
    const uploadPack = seen.filter((q) => q.method === 'POST' && q.url === '/repo.git/git-upload-pack');
    assert.ok(uploadPack.length > 0, 'the upload-pack POST reached git-http-backend');
    assert.ok(
      seen.some((q) => q.method === 'GET' && q.url.startsWith('/repo.git/info/refs?service=git-upload-pack')),
    );
    for (const q of seen) {
      assert.equal(q.headers['x-forwarded-user'], USER, `${q.method} ${q.url}`);
      assert.equal(q.headers['x-tokengate-scope'], 'read', `${q.method} ${q.url}`);
      assert.match(String(q.headers['x-tokengate-token-id']), /^tok_/);
      assert.equal(q.headers.authorization, undefined, `${q.method} ${q.url} carried Authorization`);
    }
    const log = await newLog();
    // The credential-less first request was challenged: that is how git learned to send the token.
    assert.ok(
      log.some((l) => l.includes('No credentials were provided and authentication is required')),
      log.join('\n'),
    );
    assert.ok(
      log.some((l) =>
        l.includes(`Found a matching token "git read" with Read Only scope and authenticated user ${USER}`),
      ),
      log.join('\n'),
    );
  });

  it('refuses a push with the read token: 403 at the receive-pack discovery, which never reaches git', async () => {
    const work = join(dir, 'clone');
    commitFile(work, 'read.txt', 'pushed with a read token\n');
    begin();
    // The clone's origin still carries user:readToken in its URL.
    const r = await gitAsync(['push', 'origin', 'main'], { cwd: work });
    assert.notEqual(r.code, 0, 'the push must fail');
    assert.match(r.stderr, /403/, r.stderr);

    const seen = reached();
    // The ref advertisement for a push is refused too (issue 14 finding 8; test/git-read-token.test.ts).
    assert.ok(
      !seen.some((q) => q.url.includes('git-receive-pack')),
      'neither the receive-pack discovery nor its POST reached git-http-backend',
    );
    const log = await newLog();
    assert.ok(
      log.some((l) =>
        /\[auth\] Token verification for user carol failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests\. Request method type was GET\. REST endpoint: \/repo\.git\/info\/refs$/.test(
          l,
        ),
      ),
      log.join('\n'),
    );
    assert.equal(headOf(), 'Initial commit');
  });

  it('pushes the same commit with the write token', async () => {
    const work = join(dir, 'clone');
    begin();
    const r = await gitAsync(['push', repoUrl(writeToken), 'main'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    const pushed = reached().find((q) => q.method === 'POST' && q.url === '/repo.git/git-receive-pack');
    assert.ok(pushed, 'the receive-pack POST reached git-http-backend');
    assert.equal(pushed.headers['x-forwarded-user'], USER);
    assert.equal(pushed.headers['x-tokengate-scope'], 'write');
    assert.equal(pushed.headers.authorization, undefined);
    assert.equal(headOf(), 'add read.txt');
  });

  it('refuses a clone with the read token when auth.readRules has no git preset', async () => {
    assert.deepEqual(t.node.ctx.settings.current['auth.readRules'], ['git']);
    await t.settings({ 'auth.readRules': [] });
    try {
      begin();
      const r = await gitAsync(['clone', repoUrl(readToken), join(dir, 'no-preset')], {});
      assert.notEqual(r.code, 0, 'the clone must fail');
      assert.match(r.stderr, /403/, r.stderr);
      assert.ok(
        !reached().some((q) => q.method === 'POST' && q.url.endsWith('/git-upload-pack')),
        'no upload-pack POST reached git-http-backend',
      );
      const log = await newLog();
      assert.ok(
        log.some((l) => l.endsWith('Request method type was POST. REST endpoint: /repo.git/git-upload-pack')),
        log.join('\n'),
      );
      // The write token still clones: the rules only widen what a read token may do.
      const w = await gitAsync(['clone', repoUrl(writeToken), join(dir, 'write-clone')], {});
      assert.equal(w.code, 0, w.stderr);
    } finally {
      await t.settings({ 'auth.readRules': ['git'] });
    }
    const again = await gitAsync(['clone', repoUrl(readToken), join(dir, 'preset-again')], {});
    assert.equal(again.code, 0, again.stderr);
  });

  it('answers a clone without credentials with 401, so git reports the missing login', async () => {
    begin();
    const r = await gitAsync(['clone', `http://127.0.0.1:${port}/repo.git`, join(dir, 'anon')], {});
    assert.notEqual(r.code, 0);
    // GIT_TERMINAL_PROMPT=0: git cannot ask for a user name and gives up.
    assert.match(r.stderr, /could not read Username|Authentication failed|401/, r.stderr);
    assert.equal(reached().length, 0, 'nothing reached git-http-backend');
  });
});
