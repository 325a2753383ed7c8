import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, findBinary, freePort, sleep, waitForExit } from './processes.js';

/**
 * Runs a real Caddy (Debian's /usr/bin/caddy) as a child process for tests, from a Caddyfile in a
 * temp directory of its own, which is also its HOME and XDG directories: no admin endpoint, no
 * automatic HTTPS, nothing written outside the directory, loopback only.
 *
 * `requireCaddy()` says why a suite must skip, and under CI=true throws instead (.ci/run installs
 * the caddy package). TOKENGATE_TEST_CADDY names the binary when it is elsewhere.
 */

const CI = process.env.CI === 'true';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export function findCaddy(): string | null {
  return findBinary('caddy', 'TOKENGATE_TEST_CADDY', ['/usr/bin/caddy', '/usr/local/bin/caddy']);
}

/** Caddy's path, or why the suite must skip; under CI=true a missing Caddy throws instead. */
export function requireCaddy(): { path: string } | { skip: string } {
  const path = findCaddy();
  if (path !== null) return { path };
  if (CI) {
    throw new Error(
      'CI=true and caddy is required for the Caddy forward-auth tests but was not found ' +
        "(.ci/run installs Debian's caddy; or set TOKENGATE_TEST_CADDY)",
    );
  }
  return { skip: 'caddy not installed (apt-get install caddy, or set TOKENGATE_TEST_CADDY)' };
}

export interface CaddyHandle {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What Caddy printed so far (its log is JSON lines on stderr). */
  output: () => string;
  close(): Promise<void>;
}

/** Global options for a test Caddy: no admin endpoint, plain HTTP, loopback only. */
const GLOBAL_OPTIONS = `{
\tadmin off
\tauto_https off
\tdefault_bind 127.0.0.1
}
`;

/** Caddy runs in the foreground: if this process dies without close(), take it along. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/**
 * Starts Caddy on a free 127.0.0.1 port with the site blocks `sites(port)` (after the global options
 * above) and resolves once the port accepts connections.
 */
export async function startCaddy(sites: (port: number) => string): Promise<CaddyHandle> {
  const caddy = findCaddy();
  if (caddy === null) throw new Error('caddy not found; guard the suite with requireCaddy()');
  const dir = await mkdtemp(join(tmpdir(), 'tokengate-caddy-'));
  try {
    const port = await freePort();
    const file = join(dir, 'Caddyfile');
    await writeFile(file, `${GLOBAL_OPTIONS}\n${sites(port)}\n`);
    const child = spawn(caddy, ['run', '--config', file, '--adapter', 'caddyfile'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => chunks.push(b));
    child.stderr?.on('data', (b: Buffer) => chunks.push(b));
    const output = (): string => Buffer.concat(chunks).toString('utf8');
    const failed: { error: Error | null } = { error: null };
    child.on('error', (e) => {
      failed.error = e;
    });
    const stop = async (): Promise<void> => {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    };
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (failed.error !== null) throw failed.error;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`caddy exited before accepting connections:\n${output()}`);
      if (await canConnect(port)) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`caddy did not accept connections on 127.0.0.1:${port}:\n${output()}`);
      }
      await sleep(50);
    }
    let closed = false;
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      output,
      close: async () => {
        if (closed) return;
        closed = true;
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
