import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate, TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { inProcessCli } from './support/cli.js';
import { gitAsync, makeBareRepo, requireGit, startGitServer, type GitServer } from './support/git-server.js';
import { cli, startTestNode, type TestNode } from './support/node.js';
import { issue, makeCa, requireOpenssl, type Pem } from './support/tls.js';

// Required, never skipped: a missing tool fails the suite.
requireOpenssl();
const gitTools = requireGit();
if ('skip' in gitTools) throw new Error(gitTools.skip);

const USER = 'tina';

interface CurlResult {
  code: number;
  status: string;
  stderr: string;
}

/** curl, asynchronously (the node under test runs in this process): exit code and HTTP status. */
function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    const child = spawn('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      '20',
      ...args,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, status: out, stderr: err }));
  });
}

/** The serial number of the certificate a new TLS connection to `url` is shown. */
function serialOf(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readPem(ca) }, () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      socket.end();
      resolve(cert.serialNumber);
    });
    socket.once('error', reject);
  });
}

function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}

describe('TLS on both listeners (real curl, git and node clients)', () => {
  let dir: string;
  let ca: Pem;
  let server: Pem;
  let adminServer: Pem;
  let client: Pem;
  let stranger: Pem;
  let gitServer: GitServer;
  let t: TestNode;
  let token: string;
  /** The paths the config names; the test overwrites them to renew. */
  let live: Pem;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokengate-tls-test-'));
    ca = makeCa(dir, 'test-ca');
    server = issue(dir, ca, 'gateway-1', '1001', 'server');
    adminServer = issue(dir, ca, 'admin', '2001', 'server');
    client = issue(dir, ca, 'admin-client', '3001', 'client');
    const otherCa = makeCa(dir, 'other-ca');
    stranger = issue(dir, otherCa, 'stranger', '4001', 'client');
    live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    copyFileSync(server.cert, live.cert);
    copyFileSync(server.key, live.key);
    await makeBareRepo(join(dir, 'srv'), 'repo');
    gitServer = await startGitServer(join(dir, 'srv'));
    t = await startTestNode(gitServer.url, (c) => {
      c.tls = { certFile: live.cert, keyFile: live.key };
      c.adminTls = {
        certFile: adminServer.cert,
        keyFile: adminServer.key,
        clientCaFile: ca.cert,
        requireClientCert: true,
      };
    });
    // git sends its token only after a 401 challenge.
    await t.settings({ 'auth.requireAuthentication': true });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: USER, groups: ['dev'] });
    token = (await t.tokenFor(USER, { description: 'tls', scope: 'read' })).token;
  });

  after(async () => {
    await t?.close();
    await gitServer?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reports https URLs for both listeners', () => {
    assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(t.adminUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('curl --cacert reaches the upstream through the gateway with a token, and gets 401 without', async () => {
    const refs = `${t.url}/repo.git/info/refs?service=git-upload-pack`;
    const ok = await curl(['--cacert', ca.cert, '-H', `Authorization: Bearer ${token}`, refs]);
    assert.equal(ok.status, '200', ok.stderr);
    const none = await curl(['--cacert', ca.cert, refs]);
    assert.equal(none.status, '401', none.stderr);
    // Plain HTTP on the TLS port is not served.
    const plain = await curl([refs.replace('https:', 'http:'), '-H', `Authorization: Bearer ${token}`]);
    assert.notEqual(plain.status, '200');
  });

  it('git clones over https through the gateway with a token (GIT_SSL_CAINFO)', async () => {
    const port = new URL(t.url).port;
    const into = join(dir, 'clone');
    const r = await gitAsync(['clone', `https://${USER}:${token}@127.0.0.1:${port}/repo.git`, into], {
      env: { GIT_SSL_CAINFO: ca.cert },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(into, '.git')), 'the clone has a .git directory');
  });

  it('the admin listener refuses a client without a certificate, or with one of another CA, at the handshake', async () => {
    const health = `${t.adminUrl}/_tokengate/health`;
    const without = await curl(['--cacert', ca.cert, health]);
    assert.notEqual(without.code, 0, 'curl without a client certificate must fail');
    assert.equal(without.status, '000', `no HTTP response without a client certificate: ${without.stderr}`);
    const foreign = await curl(['--cacert', ca.cert, '--cert', stranger.cert, '--key', stranger.key, health]);
    assert.equal(foreign.status, '000', `no HTTP response for another CA's client: ${foreign.stderr}`);
    const withCert = await curl(['--cacert', ca.cert, '--cert', client.cert, '--key', client.key, health]);
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.equal(withCert.status, '200', withCert.stderr);
  });

  it('reloads the certificate for new connections while an open keep-alive connection stays usable', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readPem(ca.cert) });
    const get = (): Promise<{ status: number; serial: string; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${t.url}/repo.git/info/refs?service=git-upload-pack`,
          { agent, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            const socket = res.socket;
            assert.ok(socket instanceof TLSSocket, 'the response came over TLS');
            const serial = socket.getPeerCertificate().serialNumber;
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, serial, reused: req.reusedSocket }));
          },
        );
        req.once('error', reject);
        req.end();
      });
    try {
      const first = await get();
      assert.equal(first.status, 200);
      assert.equal(first.serial, '1001');
      assert.equal(await serialOf(t.url, ca.cert), '1001');

      const renewed = issue(dir, ca, 'gateway-2', '1002', 'server');
      copyFileSync(renewed.cert, live.cert);
      copyFileSync(renewed.key, live.key);
      assert.deepEqual(t.node.server.reloadTls(), [
        { listener: 'tls', error: null },
        { listener: 'adminTls', error: null },
      ]);
      assert.equal(await serialOf(t.url, ca.cert), '1002', 'a new connection sees the new certificate');

      const again = await get();
      assert.equal(again.status, 200);
      assert.equal(again.reused, true, 'the request went over the connection opened before the reload');
      assert.equal(again.serial, '1001', 'the open connection keeps its certificate');

      // A broken key keeps the certificate in use, and says why.
      writeFileSync(live.key, 'not a key\n');
      const [bad] = t.node.server.reloadTls();
      assert.equal(bad?.listener, 'tls');
      assert.notEqual(bad?.error ?? null, null);
      assert.equal(await serialOf(t.url, ca.cert), '1002', 'the previous certificate stays in use');
    } finally {
      agent.destroy();
    }
  });
});

/** `tokengate serve` from the sources (dist/ may be older), in a child process of its own. */
const SERVE = `
const { runCli } = await import(${JSON.stringify(new URL('../src/cli/main.ts', import.meta.url).pathname)});
process.exitCode = await runCli(process.argv.slice(1));
`;

describe('SIGHUP to tokengate serve', () => {
  it('reloads the certificate for new connections and does not stop the process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokengate-tls-sighup-'));
    const ca = makeCa(dir, 'ca');
    const first = issue(dir, ca, 'first', '5001', 'server');
    writeFileSync(join(dir, 'tokengate.yaml'), 'tls:\n  certFile: first.crt\n  keyFile: first.key\n');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SERVE, '--']
        .concat(['--config', join(dir, 'tokengate.yaml'), '--data-dir', join(dir, 'data')])
        .concat(['serve', '--port', '0', '--host', '127.0.0.1', '--admin-port', 'off']),
      { env: { ...process.env, TOKENGATE_ADMIN_PASSWORD: 'admin-password-1' } },
    );
    let stderr = '';
    let exited = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.once('exit', () => (exited = true));
    const waitFor = async (re: RegExp): Promise<RegExpExecArray> => {
      for (let i = 0; i < 600; i++) {
        const m = re.exec(stderr);
        if (m !== null) return m;
        if (exited) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${String(re)} in: ${stderr}`);
    };
    try {
      const url = (await waitFor(/listening on (https:\/\/[\d.]+:\d+)/))[1] ?? '';
      assert.equal(await serialOf(url, ca.cert), '5001');
      // Renewed in place, as certbot or cert-manager would.
      const second = issue(dir, ca, 'second', '5002', 'server');
      copyFileSync(second.cert, first.cert);
      copyFileSync(second.key, first.key);
      child.kill('SIGHUP');
      await waitFor(/SIGHUP: tls certificate and key reloaded/);
      assert.equal(await serialOf(url, ca.cert), '5002');
      // A bad key is logged and the process keeps serving the certificate it has.
      writeFileSync(first.key, 'not a key\n');
      child.kill('SIGHUP');
      await waitFor(/SIGHUP: tls certificate and key not reloaded, the old ones stay in use/);
      assert.equal(exited, false, 'SIGHUP does not stop the process');
      assert.equal(await serialOf(url, ca.cert), '5002');
    } finally {
      if (!exited) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS configuration errors', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokengate-tls-config-'));
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const serve = async (yaml: string): Promise<{ code: number; err: string }> => {
    const config = join(dir, 'tokengate.yaml');
    writeFileSync(config, yaml);
    const run = inProcessCli('admin-password-1');
    return run(join(dir, 'data'), '--config', config, 'serve', '--port', '0', '--admin-port', 'off');
  };

  it('an unreadable key file stops serve before start-up with exit 78, naming the key', async () => {
    const r = await serve('tls:\n  certFile: missing.crt\n  keyFile: missing.key\n');
    assert.equal(r.code, 78, r.err);
    assert.match(r.err, /tls\.certFile: cannot read .*missing\.crt \(ENOENT\)/);
  });

  it('a certificate without its key is refused, naming both keys', async () => {
    const r = await serve('tls:\n  certFile: only.crt\n');
    assert.equal(r.code, 78, r.err);
    assert.match(r.err, /tls\.certFile and tls\.keyFile go together/);
  });
});
