/**
 * The soak benchmark (`npm run bench -- --soak`): about 80% of the measured capacity for 10 minutes
 * (`--soak-minutes N`), mixing valid, unknown-token, read-only-denied and rate-limited requests.
 * It reports, window by window, the rate, the p99 and the gateway's RSS, then the RSS slope (least
 * squares, MB per minute), the spread of the p99, and every answer that was not an intended one.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../src/app.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { generateToken } from '../src/domain/token/format.js';
import type { RequestContext } from '../src/domain/audit/audit.js';
import { systemContext } from '../src/services/context.js';
import { assertLoopback } from './lib/load.js';

const SCRIPT = fileURLToPath(new URL('./lib/wrk-soak.lua', import.meta.url));
/** The statuses the mix is meant to produce: success, unknown token, read-only, rate limited. */
const INTENDED = new Set(['200', '401', '403', '429']);

interface WrkSoak {
  requests: number;
  durationUs: number;
  p50: number;
  p99: number;
  p999: number;
  socketErrors: number;
  statuses: Record<string, number>;
}

export interface SoakWindow {
  minute: number;
  rps: number;
  p50: number;
  p99: number;
  rssMb: number;
  statuses: Record<string, number>;
  socketErrors: number;
}

export interface SoakResult {
  capacityRps: number;
  targetRps: number;
  windows: SoakWindow[];
  /** Least-squares slope of the RSS over the run, MB per minute. */
  rssSlopeMbPerMin: number;
  p99: { min: number; median: number; max: number };
  /** Answers other than 200/401/403/429, plus socket errors. */
  unintended: number;
  shares: Record<string, number>;
}

function wrkSoak(
  url: string,
  env: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<WrkSoak> {
  assertLoopback(url);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', SCRIPT, url],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || !line) reject(new Error(`wrk failed (${code}): ${err || out}`));
      else resolve(JSON.parse(line) as WrkSoak);
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The mix's tokens, for the wrk script's environment: valid, read-only, rate-limited and unknown. */
async function soakTokens(ctx: AppContext, cli: RequestContext): Promise<Record<string, string>> {
  const mk = async (
    description: string,
    scope: 'read' | 'write',
    rateLimit?: { requests: number; windowSeconds: number },
  ) =>
    (
      await ctx.tokens.create(CLI_PRINCIPAL, cli, 'bench', {
        description,
        scope,
        ...(rateLimit ? { rateLimit } : {}),
      })
    ).token;
  return {
    TG_SOAK_VALID: await mk('soak valid', 'write', { requests: 1_000_000_000, windowSeconds: 1 }),
    TG_SOAK_READONLY: await mk('soak read-only', 'read'),
    TG_SOAK_LIMITED: await mk('soak limited', 'write', { requests: 5, windowSeconds: 1 }),
    TG_SOAK_UNKNOWN: generateToken('tgp'),
  };
}

export async function runSoak(
  ctx: AppContext,
  gatewayUrl: string,
  gatewayPid: number,
  opts: { minutes: number; connections: number; log: (s: string) => void },
): Promise<SoakResult> {
  const cli = systemContext('@bench');
  const env = await soakTokens(ctx, cli);
  // The unknown-token share would get this loopback client blocked for brute force within seconds;
  // the soak measures steady state, so the block is off (attacks-brute-force.test.ts covers it).
  await ctx.settings.update(CLI_PRINCIPAL, cli, { 'bruteForce.enabled': false });
  await new Promise((r) => setTimeout(r, 2_500));
  const url = `${gatewayUrl}/rest/api/2/issue/TG-1`;
  opts.log('soak: measuring capacity with the mix (20 s)…');
  await wrkSoak(url, { ...env, TG_SOAK_DELAY_MS: '0' }, 5, opts.connections);
  const capacity = await wrkSoak(url, { ...env, TG_SOAK_DELAY_MS: '0' }, 20, opts.connections);
  const capacityRps = capacity.requests / (capacity.durationUs / 1e6);
  const targetRps = capacityRps * 0.8;
  // Each connection waits this long before each request; adjusted window by window towards the target.
  let delayMs = (opts.connections * 1000) / targetRps;
  const windows: SoakWindow[] = [];
  const windowSeconds = 30;
  const count = Math.max(1, Math.round((opts.minutes * 60) / windowSeconds));
  for (let w = 0; w < count; w++) {
    const r = await wrkSoak(
      url,
      { ...env, TG_SOAK_DELAY_MS: delayMs.toFixed(2) },
      windowSeconds,
      opts.connections,
    );
    const rps = r.requests / (r.durationUs / 1e6);
    const win: SoakWindow = {
      minute: ((w + 1) * windowSeconds) / 60,
      rps,
      p50: r.p50 / 1000,
      p99: r.p99 / 1000,
      rssMb: rssMb(gatewayPid),
      statuses: r.statuses,
      socketErrors: r.socketErrors,
    };
    windows.push(win);
    opts.log(
      `soak ${win.minute.toFixed(1)} min: ${Math.round(rps)} req/s, p99 ${win.p99.toFixed(2)} ms, RSS ${win.rssMb.toFixed(1)} MB`,
    );
    if (rps > 0) delayMs = Math.max(0, Math.min(1_000, delayMs * (rps / targetRps)));
  }
  const p99s = windows.map((w) => w.p99).sort((a, b) => a - b);
  const totals: Record<string, number> = {};
  let unintended = 0;
  for (const w of windows) {
    unintended += w.socketErrors;
    for (const [status, n] of Object.entries(w.statuses)) {
      totals[status] = (totals[status] ?? 0) + n;
      if (!INTENDED.has(status)) unintended += n;
    }
  }
  const all = Object.values(totals).reduce((a, b) => a + b, 0) || 1;
  return {
    capacityRps,
    targetRps,
    windows,
    // The first window holds the warm-up (caches, JIT, pools): the slope is taken from the second on.
    rssSlopeMbPerMin: slope(
      windows.slice(1).map((w) => w.minute),
      windows.slice(1).map((w) => w.rssMb),
    ),
    p99: {
      min: p99s[0] ?? 0,
      median: p99s[Math.floor(p99s.length / 2)] ?? 0,
      max: p99s[p99s.length - 1] ?? 0,
    },
    unintended,
    shares: Object.fromEntries(Object.entries(totals).map(([s, n]) => [s, n / all])),
  };
}
