import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  commitFile,
  git,
  gitAsync,
  makeBareRepo,
  requireGit,
  startGitServer,
  type GitServer,
} from './support/git-server.js';

const tools = requireGit();

describe('git smart-HTTP test server', { skip: 'skip' in tools ? tools.skip : false }, () => {
  let dir: string;
  let bare: string;
  let server: GitServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokengate-git-server-test-'));
    bare = await makeBareRepo(join(dir, 'srv'), 'repo');
    server = await startGitServer(join(dir, 'srv'));
  });

  after(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('makes a bare repository with one commit on main', () => {
    const log = git(['--git-dir', bare, 'log', '--format=%s', 'main'], {});
    assert.equal(log.code, 0, log.stderr);
    assert.equal(log.stdout.trim(), 'Initial commit');
    const head = git(['--git-dir', bare, 'symbolic-ref', 'HEAD'], {});
    assert.equal(head.stdout.trim(), 'refs/heads/main');
  });

  it('serves git clone over HTTP', async () => {
    const before = server.requests.length;
    const r = await gitAsync(['clone', `${server.url}/repo.git`, join(dir, 'clone')], {});
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'clone', 'README.md')));
    assert.match(readFileSync(join(dir, 'clone', 'README.md'), 'utf8'), /# repo/);
    const seen = server.requests.slice(before);
    assert.ok(
      seen.some((q) => q.method === 'GET' && q.url.startsWith('/repo.git/info/refs?service=git-upload-pack')),
    );
    assert.ok(seen.some((q) => q.method === 'POST' && q.url === '/repo.git/git-upload-pack'));
  });

  it('answers 404 for a repository that does not exist', async () => {
    const res = await fetch(`${server.url}/nope.git/info/refs?service=git-upload-pack`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('accepts a push carrying x-forwarded-user and records the header', async () => {
    const work = join(dir, 'clone');
    commitFile(work, 'alice.txt', 'from alice\n');
    const before = server.requests.length;
    const r = await gitAsync(['-c', 'http.extraHeader=X-Forwarded-User: alice', 'push', 'origin', 'main'], {
      cwd: work,
    });
    assert.equal(r.code, 0, r.stderr);
    const pushed = server.requests.slice(before).find((q) => q.url === '/repo.git/git-receive-pack');
    assert.ok(pushed, 'the receive-pack POST reached the server');
    assert.equal(pushed.headers['x-forwarded-user'], 'alice');
    const log = git(['--git-dir', bare, 'log', '--format=%s', '-1', 'main'], {});
    assert.equal(log.stdout.trim(), 'add alice.txt');
  });

  it('lets git-http-backend refuse a push without x-forwarded-user', async () => {
    const work = join(dir, 'clone');
    commitFile(work, 'anon.txt', 'anonymous\n');
    const before = server.requests.length;
    const r = await gitAsync(['push', 'origin', 'main'], { cwd: work });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /403/);
    assert.ok(server.requests.slice(before).every((q) => q.headers['x-forwarded-user'] === undefined));
    const log = git(['--git-dir', bare, 'log', '--format=%s', '-1', 'main'], {});
    assert.equal(log.stdout.trim(), 'add alice.txt');
  });

  it('accepts anonymous pushes only when the repository sets http.receivepack true', async () => {
    await makeBareRepo(join(dir, 'srv'), 'open', { receivePack: true });
    const work = join(dir, 'open-clone');
    const cloned = await gitAsync(['clone', '-q', `${server.url}/open.git`, work], {});
    assert.equal(cloned.code, 0, cloned.stderr);
    commitFile(work, 'anon.txt', 'anonymous\n');
    const r = await gitAsync(['push', 'origin', 'main'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
  });

  it('handles gzip-encoded request bodies', async () => {
    // git gzips an upload-pack request over 1 KiB: 40 tags on distinct commits make 40 "want" lines.
    const many = await makeBareRepo(join(dir, 'srv'), 'many');
    const seed = join(dir, 'seed');
    assert.equal(git(['clone', '-q', many, seed], {}).code, 0);
    for (let i = 0; i < 40; i++) {
      commitFile(seed, 'n.txt', `${i}\n`, `commit ${i}`);
      assert.equal(git(['tag', `t${i}`], { cwd: seed }).code, 0);
    }
    const seeded = git(['push', '-q', 'origin', 'main', '--tags'], { cwd: seed });
    assert.equal(seeded.code, 0, seeded.stderr);

    const before = server.requests.length;
    const r = await gitAsync(['clone', '--bare', `${server.url}/many.git`, join(dir, 'many-clone.git')], {});
    assert.equal(r.code, 0, r.stderr);
    const gzipped = server.requests
      .slice(before)
      .filter((q) => q.method === 'POST' && q.headers['content-encoding'] === 'gzip');
    assert.ok(gzipped.length > 0, 'git sent a gzip-encoded body');
    const tags = git(['--git-dir', join(dir, 'many-clone.git'), 'tag'], {});
    assert.equal(tags.stdout.trim().split('\n').length, 40);
  });
});
