import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../src/cli/remote-client.js';
import { BIN, CHILD_TIMEOUT_MS, type CliRun } from './support/cli.js';

/**
 * The CLI's remote mode (issue 19): the compiled binary (`npx tsc -p tsconfig.build.json` first)
 * against a node started by `tokengate serve`, compared with local mode on the same database.
 */

const ADMIN_PASSWORD = 'cli-remote-admin-password';

/** This process's environment without tokengate's own variables, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TOKENGATE_')) env[k] = v;
  return { ...env, ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv, input?: string): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env,
    timeout: CHILD_TIMEOUT_MS,
    ...(input !== undefined ? { input } : {}),
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A port nothing listens on: one the system gave out and took back. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe('tokengate remote mode (--server, TOKENGATE_SERVER, login)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-remote-'));
  const data = join(dir, 'data');
  const config = join(dir, 'config');
  let child: ChildProcess | undefined;
  let url = '';
  let adminToken = '';

  const local = (args: string[], input?: string) =>
    run(['--data-dir', data, ...args], cleanEnv({ TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }), input);
  /** The binary with no local flag: remote through `env` or the stored login in `config`. */
  const remote = (args: string[], env: Record<string, string> = {}, input?: string) =>
    run(args, cleanEnv({ XDG_CONFIG_HOME: config, ...env }), input);
  const viaServer = (args: string[]) => remote(args, { TOKENGATE_SERVER: url, TOKENGATE_TOKEN: adminToken });
  const json = (r: CliRun): unknown => {
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as unknown;
  };

  before(async () => {
    assert.equal(local(['init']).code, 0);
    child = spawn(
      process.execPath,
      [BIN, '--data-dir', data, 'serve', '--port', '0', '--admin-port', '0', '--host', '127.0.0.1'],
      { env: cleanEnv({ TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }) },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    url = await new Promise<string>((resolve, reject) => {
      child?.stderr?.on('data', (d: string) => {
        stderr += d;
        const m = /web UI: (http:\/\/[\d.]+:\d+)/.exec(stderr);
        if (m?.[1]) resolve(m[1]);
      });
      child?.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${stderr}`)));
    });
    const made = json(
      local(['token', 'create', '-u', 'admin', '-d', 'remote cli', '-s', 'write', '-o', 'json']),
    );
    adminToken = (made as { token: string }).token;
    assert.equal(local(['user', 'add', 'dana', '-g', 'ops']).code, 0);
    for (const d of ['one', 'two', 'three'])
      assert.equal(local(['token', 'create', '-u', 'dana', '-d', d, '-e', '30d']).code, 0);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('token list, user list, settings get, log-level and audit list print what local mode prints', () => {
    for (const args of [
      ['token', 'list', '-u', 'dana'],
      ['user', 'list'],
      ['settings', 'get'],
      ['log-level'],
      ['audit', 'list', '--action', 'token.created', '-n', '3'],
    ]) {
      const l = local([...args, '-o', 'json']);
      const r = viaServer([...args, '-o', 'json']);
      assert.deepEqual(json(r), json(l), args.join(' '));
      // The tables too: same columns, same rows.
      assert.equal(viaServer(args).out, local(args).out, args.join(' '));
    }
    const tokens = json(viaServer(['token', 'list', '-u', 'dana', '-o', 'json'])) as Array<{ user: string }>;
    assert.equal(tokens.length, 3);
  });

  it('follows every page of a list (client with two items a page against the served API)', async () => {
    const api = new ApiClient(url, adminToken, 2);
    const paged = await api.all<{ id: string }>('/admin/tokens', { user: 'dana' });
    const local3 = json(local(['token', 'list', '-u', 'dana', '-o', 'json'])) as Array<{ id: string }>;
    assert.deepEqual(
      paged.map((t) => t.id),
      local3.map((t) => t.id),
    );
    // A bound on the total stops mid-page.
    assert.equal((await api.all('/admin/tokens', { user: 'dana' }, 1)).length, 1);
  });

  it('revokes through the server with -y, and the change is in the database', () => {
    const id = (json(local(['token', 'list', '-u', 'dana', '-o', 'json'])) as Array<{ id: string }>)[0]?.id;
    assert.ok(id);
    const r = viaServer(['token', 'revoke', '-y', id, '-o', 'json']);
    assert.equal((json(r) as { status: string }).status, 'revoked');
    const after = json(local(['token', 'list', '-u', 'dana', '-s', 'revoked', '-o', 'json'])) as unknown[];
    assert.equal(after.length, 1);
    // Without --yes and no terminal: usage, nothing sent.
    assert.equal(viaServer(['token', 'revoke', id]).code, 64);
  });

  it('settings set through the server prints old and new as local mode does, and the database has it', () => {
    const before = json(local(['settings', 'get', 'tokens.expiryWarningDays', '-o', 'json']));
    const r = json(viaServer(['settings', 'set', 'tokens.expiryWarningDays', '11', '-o', 'json']));
    assert.deepEqual(r, { key: 'tokens.expiryWarningDays', old: before, new: 11 });
    assert.equal(json(local(['settings', 'get', 'tokens.expiryWarningDays', '-o', 'json'])), 11);
    const bad = viaServer(['-o', 'json', 'settings', 'set', 'tokens.expiryWarningDays', '"soon"']);
    assert.equal(bad.code, 65, bad.err);
    assert.equal((JSON.parse(bad.err) as { error: { code: string } }).error.code, 'invalid_request');
  });

  it('user add, set, disable, enable and delete through the server print what local mode prints', () => {
    const steps: Array<[string[], string[]]> = [
      [
        ['user', 'add', 'remo', '-g', 'ops', '-e', 'remo@example.com'],
        ['user', 'add', 'loco', '-g', 'ops', '-e', 'remo@example.com'],
      ],
      [
        ['user', 'set', 'remo', '--display-name', 'R'],
        ['user', 'set', 'loco', '--display-name', 'R'],
      ],
      [
        ['user', 'disable', '-y', 'remo'],
        ['user', 'disable', '-y', 'loco'],
      ],
      [
        ['user', 'enable', 'remo'],
        ['user', 'enable', 'loco'],
      ],
    ];
    for (const [r, l] of steps) {
      // The two users differ only in their names and the times of the calls.
      const same = (u: unknown): unknown => {
        const { username, displayName, createdAt, updatedAt, ...rest } = u as Record<string, unknown>;
        return {
          fields: Object.keys(u as object).sort(),
          rest,
          renamed: displayName !== username,
          times: [typeof createdAt, typeof updatedAt],
        };
      };
      assert.deepEqual(
        same(json(viaServer([...r, '-o', 'json']))),
        same(json(local([...l, '-o', 'json']))),
        r.join(' '),
      );
    }
    assert.deepEqual(json(viaServer(['user', 'delete', '-y', 'remo', '-o', 'json'])), {
      username: 'remo',
      deleted: true,
    });
    const gone = viaServer(['-o', 'json', 'user', 'set', 'remo', '--display-name', 'S']);
    assert.equal(gone.code, 66, gone.err);
  });

  it("token create through a token is the server's refusal (a token cannot mint tokens): 77 with its message", () => {
    const r = viaServer(['-o', 'json', 'token', 'create', '-u', 'dana', '-d', 'x']);
    assert.equal(r.code, 77, r.err);
    const e = JSON.parse(r.err) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'forbidden');
    assert.match(e.error.message, /tokens cannot create tokens/);
  });

  it('a wrong token exits 77 with a JSON error under -o json, and never echoes the token', () => {
    const wrong = `${adminToken.slice(0, -4)}AAAA`;
    const r = remote(['-o', 'json', 'token', 'list'], { TOKENGATE_SERVER: url, TOKENGATE_TOKEN: wrong });
    assert.equal(r.code, 77, r.err);
    const e = JSON.parse(r.err) as { error: { code: string } };
    assert.equal(e.error.code, 'unauthorized');
    assert.ok(!r.err.includes(wrong) && !r.out.includes(wrong));
  });

  it('an unreachable server exits 69; http:// to a host other than loopback is refused (64)', async () => {
    const port = await closedPort();
    const down = remote(['-o', 'json', 'user', 'list'], {
      TOKENGATE_SERVER: `http://127.0.0.1:${port}`,
      TOKENGATE_TOKEN: adminToken,
    });
    assert.equal(down.code, 69, down.err);
    assert.equal((JSON.parse(down.err) as { error: { code: string } }).error.code, 'unavailable');
    const http = remote(['user', 'list'], {
      TOKENGATE_SERVER: 'http://tokengate.example',
      TOKENGATE_TOKEN: 'x',
    });
    assert.equal(http.code, 64);
    assert.match(http.err, /plain http/);
  });

  it('local-only commands say so in remote mode (64), and --server with --data-dir is a usage error', () => {
    const r = viaServer(['-o', 'json', 'audit', 'verify']);
    assert.equal(r.code, 64);
    assert.equal((JSON.parse(r.err) as { error: { code: string } }).error.code, 'local_only');
    assert.equal(run(['--data-dir', data, '--server', url, 'user', 'list'], cleanEnv({})).code, 64);
    assert.equal(run(['--server', url, 'init'], cleanEnv({})).code, 64);
  });

  it('--api-token works, with a warning that the command line is visible to others', () => {
    const r = remote(['--server', url, '--api-token', adminToken, 'user', 'list', '-o', 'json']);
    assert.deepEqual(json(r), json(local(['user', 'list', '-o', 'json'])));
    assert.match(r.err, /warning: a token on the command line is visible/);
    assert.ok(!r.err.includes(adminToken));
  });

  it('login on a terminal asks for the token without echoing it', async () => {
    const sh = (w: string): string => `'${w.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, BIN, 'login', '--server', url].map(sh).join(' ');
    const term = spawn('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv({ XDG_CONFIG_HOME: config }),
    });
    let screen = '';
    term.stdout.setEncoding('utf8');
    const code = await new Promise<number | null>((resolve, reject) => {
      term.once('error', reject);
      term.stdout.on('data', (d: string) => {
        screen += d;
        // Typed only once the prompt shows: the terminal is in raw mode by then, so nothing echoes.
        if (screen.includes('API token: ') && !term.stdin.writableEnded) term.stdin.end(`${adminToken}\r`);
      });
      term.once('exit', resolve);
    });
    assert.equal(code, 0, screen);
    assert.match(screen, /logged in to .* as admin/);
    assert.ok(!screen.includes(adminToken), 'the token typed is not shown');
    assert.equal(remote(['user', 'list']).code, 0);
    assert.equal(remote(['logout']).code, 0);
  });

  it('login stores the server and token with mode 0600, commands use it, a 0644 file is refused, logout removes it', () => {
    const wrong = remote(['login', '--server', url, '--token-stdin'], {}, 'tgp_not-a-token\n');
    assert.equal(wrong.code, 77, wrong.err);
    const file = join(config, 'tokengate', 'hosts.json');
    assert.ok(!existsSync(file), 'a token the server refused is not stored');

    const r = remote(['login', '--server', url], {}, `${adminToken}\n`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /logged in to .* as admin/);
    assert.ok(!r.err.includes(adminToken) && !r.out.includes(adminToken));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(config, 'tokengate')).mode & 0o777, 0o700);

    const users = remote(['user', 'list', '-o', 'json']);
    assert.deepEqual(json(users), json(local(['user', 'list', '-o', 'json'])));

    chmodSync(file, 0o644);
    const refused = remote(['user', 'list']);
    assert.equal(refused.code, 78, refused.err);
    assert.match(refused.err, /refusing to use .*hosts\.json: its mode is 0644/);
    chmodSync(file, 0o600);

    assert.equal(remote(['logout']).code, 0);
    assert.ok(!existsSync(file));
  });
});
