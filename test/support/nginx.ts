import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, findBinary, freePort, sleep, waitForExit } from './processes.js';

/**
 * Runs a real nginx (Debian's /usr/sbin/nginx, which has the auth_request module) as a child process
 * for tests, in a temp prefix of its own: its config, pid, logs and temp paths never touch /etc or /var.
 *
 * nginx is required where it is used: `requireNginx()` says why a suite must skip, and under CI=true
 * throws instead. TOKENGATE_TEST_NGINX names the binary when it is elsewhere.
 */

const CI = process.env.CI === 'true';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const CHECK_TIMEOUT_MS = 10_000;
/** Attempts at a fresh port when another process takes the one picked before nginx binds it. */
const PORT_ATTEMPTS = 3;

const CANDIDATES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
  '/usr/bin/nginx',
];

/** The nginx binary: TOKENGATE_TEST_NGINX when set, else the usual places, else PATH; null when missing. */
export function findNginx(): string | null {
  return findBinary('nginx', 'TOKENGATE_TEST_NGINX', CANDIDATES);
}

/** nginx's path, or why the suite must skip; under CI=true a missing nginx throws instead. */
export function requireNginx(): { path: string } | { skip: string } {
  const path = findNginx();
  if (path !== null) return { path };
  if (CI) {
    throw new Error(
      'CI=true and nginx is required for the gateway tests but was not found ' +
        '(install nginx with the auth_request module, or set TOKENGATE_TEST_NGINX)',
    );
  }
  return {
    skip: 'nginx not installed (install nginx, or set TOKENGATE_TEST_NGINX); skipping the nginx tests',
  };
}

export interface NginxHandle {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The error log so far (level info); after close(), its last contents. */
  errorLog: () => string;
  close(): Promise<void>;
}

/** nginx runs with `daemon off`: if this process dies without close(), take the children along. */
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

function nginxConf(dir: string, http: string): string {
  return `# Written by tokengate's test/support/nginx.ts
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;

events {
  worker_connections 256;
}

http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

${http}
}
`;
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** Starts nginx and waits until it accepts on port; null when it exited first, as when the port was taken. */
async function launch(nginx: string, dir: string, conf: string, port: number): Promise<Started | null> {
  const child = spawn(nginx, ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  child.stderr?.on('data', (b: Buffer) => chunks.push(b));
  const failed: { error: Error | null } = { error: null };
  child.on('error', (e) => {
    failed.error = e;
  });
  const output = (): string => Buffer.concat(chunks).toString('utf8');
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (failed.error !== null) throw failed.error;
    if (child.exitCode !== null || child.signalCode !== null) return null;
    if (await canConnect(port)) return { child, output };
    await sleep(50);
  }
  child.kill('SIGKILL');
  await waitForExit(child, STOP_TIMEOUT_MS);
  throw new Error(
    `nginx did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms\n${output()}`,
  );
}

/**
 * Starts nginx on a free 127.0.0.1 port with a config whose http block is httpBlock(port); the block
 * must listen on 127.0.0.1:<port>. The config is checked with `nginx -t` first (its output is in the
 * error thrown on failure). Resolves once the port accepts connections.
 */
export async function startNginx(httpBlock: (port: number) => string): Promise<NginxHandle> {
  const nginx = findNginx();
  if (nginx === null) throw new Error('nginx not found; guard the suite with requireNginx()');
  const dir = await mkdtemp(join(tmpdir(), 'tokengate-nginx-'));
  const conf = join(dir, 'nginx.conf');
  const logPath = join(dir, 'error.log');
  const readLog = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  try {
    let lastFailure = '';
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      await writeFile(conf, nginxConf(dir, httpBlock(port)));
      const check = spawnSync(nginx, ['-t', '-q', '-p', `${dir}/`, '-e', logPath, '-c', conf], {
        encoding: 'utf8',
        timeout: CHECK_TIMEOUT_MS,
      });
      if (check.status !== 0) {
        const why = check.error?.message ?? `${check.stderr}${check.stdout}`;
        throw new Error(`nginx -t rejected the config:\n${why}\n--- ${conf}\n${readFileSync(conf, 'utf8')}`);
      }
      const started = await launch(nginx, dir, conf, port);
      if (started === null) {
        lastFailure = readLog();
        if (/address already in use/i.test(lastFailure)) continue;
        throw new Error(`nginx exited before accepting connections:\n${lastFailure}`);
      }
      const { child } = started;
      let finalLog: string | null = null;
      return {
        port,
        url: `http://127.0.0.1:${port}`,
        errorLog: () => finalLog ?? readLog(),
        close: async () => {
          if (finalLog !== null) return;
          // SIGQUIT is nginx's graceful shutdown; SIGTERM its fast one; SIGKILL when both are ignored.
          child.kill('SIGQUIT');
          if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
            child.kill('SIGTERM');
            if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
              child.kill('SIGKILL');
              await waitForExit(child, STOP_TIMEOUT_MS);
            }
          }
          finalLog = readLog();
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    throw new Error(`nginx found no free port in ${PORT_ATTEMPTS} attempts:\n${lastFailure}`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
