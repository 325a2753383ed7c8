/**
 * Start-up of the bench: a data directory with one user and token, the upstream, the gateways
 * (one node, `--workers 2`, Redis), nginx when installed; and the audit-event profile switch.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { openApp, type AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemContext } from '../../src/services/context.js';
import { findNginx } from '../../test/support/nginx.js';
import { nginxConfig } from './nginx-conf.js';
import { args, ROOT, SKIP } from './options.js';
import { freePort, startProcess, waitForHttp, type Started } from './procs.js';
import { sleep } from './util.js';

/** Settings reach running nodes through the change feed, polled every second. */
const PROPAGATION_MS = 2_500;

export const ALL_EVENTS_ON = {
  'audit.events.authSuccess': true,
  'audit.events.authFailedToken': true,
  'audit.events.authFailedVerification': true,
  'audit.events.permissionDenied': true,
  'audit.events.rateLimited': true,
};
export const ALL_EVENTS_OFF = Object.fromEntries(Object.keys(ALL_EVENTS_ON).map((k) => [k, false]));

export type Profile = 'audit-on' | 'audit-off';

async function redisAnswers(url: string): Promise<boolean> {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return false;
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export interface Env {
  dir: string;
  ctx: AppContext;
  token: string;
  procs: Started[];
  urls: {
    upstream: string;
    gateway: string;
    workers: string;
    redis: string | null;
    nginx: string | null;
    nginxAuth: string | null;
  };
  pids: { upstream: number; gateway: number; workers: number; redis: number; nginx: number };
}

/**
 * A data directory with its config file, one user `bench` and a write token of theirs, every
 * selectable audit event off and loopback trusted as a proxy; the app context stays open.
 */
async function seed(): Promise<{ dir: string; configFile: string; ctx: AppContext; token: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const configFile = join(dir, 'tokengate.yaml');
  // Production-like: no console copy of the log (stderr writes are synchronous). No retention floor:
  // the purge scenario purges records the bench has just written (the floor would hold them all).
  writeFileSync(configFile, 'log:\n  console: false\naudit:\n  retentionFloorDays: 0\n');
  const config = loadConfig({ dataDir: dir, nodeId: 'bench-setup' }, {});
  const ctx = await openApp(config, { log: silentLogger });
  const cli = systemContext('@bench');
  await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'bench', password: 'bench-password-1' });
  const created = await ctx.tokens.create(CLI_PRINCIPAL, cli, 'bench', {
    description: 'benchmark token',
    scope: 'write',
    // A limit that applies on every request and is never hit.
    rateLimit: { requests: 1_000_000_000, windowSeconds: 1 },
  });
  await ctx.settings.update(CLI_PRINCIPAL, cli, {
    ...ALL_EVENTS_OFF,
    'auth.trustedProxies': ['127.0.0.1/32'],
  });
  return { dir, configFile, ctx, token: created.token };
}

/** nginx in front of the upstream (5) and of forward-auth (6), when `nginx` is installed. */
async function startNginx(
  dir: string,
  upPort: number,
  gateway: string,
): Promise<{ started: Started; nginx: string; nginxAuth: string } | null> {
  const nginxBin = SKIP.has('nginx') ? null : findNginx();
  if (!nginxBin) return null;
  const ndir = join(dir, 'nginx');
  mkdirSync(ndir);
  const proxy = await freePort();
  const auth = await freePort();
  const conf = join(ndir, 'nginx.conf');
  writeFileSync(
    conf,
    nginxConfig(ndir, { proxy, auth, upstream: upPort, gateway: Number(new URL(gateway).port) }),
  );
  const nginx = `http://127.0.0.1:${proxy}`;
  const nginxAuth = `http://127.0.0.1:${auth}`;
  const started = await startProcess(nginxBin, ['-c', conf, '-p', ndir], { readyUrl: nginx });
  await waitForHttp(nginxAuth);
  return { started, nginx, nginxAuth };
}

/** Starts the upstream, the gateways and nginx, each on a free loopback port. */
export async function setUp(): Promise<Env> {
  const { dir, configFile, ctx, token } = await seed();
  const procs: Started[] = [];
  const node = process.execPath;
  const upPort = await freePort();
  const upstream = `http://127.0.0.1:${upPort}`;
  procs.push(
    await startProcess(node, ['--import', 'tsx', join(ROOT, 'bench', 'upstream.ts'), String(upPort)], {
      readyUrl: upstream,
      cwd: ROOT,
    }),
  );
  const env = { ...process.env, TOKENGATE_DATA_DIR: dir };
  const pidOf = (): number => procs[procs.length - 1]?.child.pid ?? 0;
  const upstreamPid = pidOf();
  const serve = async (nodeId: string, extra: string[]): Promise<string> => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const prof = args.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(args.profile)] : [];
    const cmd = [
      ...prof,
      join(ROOT, 'bin', 'tokengate.js'),
      'serve',
      '--config',
      configFile,
      '--port',
      String(port),
      // The bench drives only the gateway: each node's admin listener on a free port of its own.
      '--admin-port',
      String(await freePort()),
    ];
    cmd.push('--host', '127.0.0.1', '--upstream', upstream, '--node-id', nodeId, ...extra);
    procs.push(await startProcess(node, cmd, { env, readyUrl: `${url}/_tokengate/health` }));
    return url;
  };
  const gateway = await serve('bench-1', []);
  const gatewayPid = pidOf();
  const workers = SKIP.has('workers') ? gateway : await serve('bench-w', ['--workers', '2']);
  const workersPid = pidOf();
  const redisUp = !SKIP.has('redis') && (await redisAnswers(args.redis));
  const redis = redisUp ? await serve('bench-r', ['--redis', args.redis]) : null;
  const redisPid = pidOf();
  const ngx = await startNginx(dir, upPort, gateway);
  if (ngx) procs.push(ngx.started);
  const nginx = ngx?.nginx ?? null;
  const nginxAuth = ngx?.nginxAuth ?? null;
  return {
    dir,
    ctx,
    token,
    procs,
    urls: { upstream, gateway, workers, redis, nginx, nginxAuth },
    pids: {
      upstream: upstreamPid,
      gateway: gatewayPid,
      workers: workersPid,
      redis: redisPid,
      nginx: ngx ? pidOf() : 0,
    },
  };
}

export async function applyProfile(e: Env, profile: Profile): Promise<void> {
  await e.ctx.settings.update(
    CLI_PRINCIPAL,
    systemContext('@bench'),
    profile === 'audit-on' ? ALL_EVENTS_ON : ALL_EVENTS_OFF,
  );
  await sleep(PROPAGATION_MS);
}
