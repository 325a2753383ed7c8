/**
 * Load generation for the benchmarks: wrk when it is installed (C, one thread: it leaves the most
 * CPU to what is measured), else autocannon from the dev dependencies. Loopback targets only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Pool } from 'undici';

export interface LoadResult {
  /** Completed requests per second. */
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  p999: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  errors: number;
  requests: number;
}

export interface LoadOptions {
  url: string;
  /** The Authorization header, or null. */
  authorization: string | null;
  connections: number;
  durationSec: number;
}

export type LoadTool = 'wrk' | 'autocannon';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`benchmarks only ever target loopback; refusing ${url}`);
}

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (err as { code?: string }).code !== 'ENOENT';
  }
}

const WRK_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));

interface WrkReport {
  requests: number;
  durationUs: number;
  p50: number;
  p99: number;
  p999: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

function runWrk(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const args = [
      '-t1',
      `-c${o.connections}`,
      `-d${o.durationSec}s`,
      '--timeout',
      '5s',
      '-s',
      WRK_SCRIPT,
      o.url,
    ];
    const child = spawn('wrk', args, {
      env: { ...process.env, TG_BENCH_AUTH: o.authorization ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // wrk stops by itself after the duration; this only guards against a hang.
    const guard = setTimeout(() => child.kill('SIGKILL'), (o.durationSec + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || !line) {
        reject(new Error(`wrk failed (${code}): ${err || out}`));
        return;
      }
      const r = JSON.parse(line) as WrkReport;
      resolve({
        rps: r.requests / (r.durationUs / 1e6),
        p50: r.p50 / 1000,
        p99: r.p99 / 1000,
        p999: r.p999 / 1000,
        errors: r.connect + r.read + r.write + r.status + r.timeout,
        requests: r.requests,
      });
    });
  });
}

async function runAutocannon(o: LoadOptions): Promise<LoadResult> {
  const r = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationSec,
    headers: o.authorization ? { authorization: o.authorization } : {},
  });
  return {
    rps: r.requests.total / (r.duration || o.durationSec),
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    errors: r.non2xx + r.errors + r.timeouts,
    requests: r.requests.total,
  };
}

export function runLoad(tool: LoadTool, o: LoadOptions): Promise<LoadResult> {
  assertLoopback(o.url);
  return tool === 'wrk' ? runWrk(o) : runAutocannon(o);
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
}

/**
 * An open-loop load at a fixed rate, for latency below saturation: request i is due at
 * start + i / rate and its latency counts from then (a slow answer delays no later request, so
 * there is no coordinated omission). Latencies in µs resolution (autocannon and wrk round to ms or
 * measure closed-loop). In this process, over `connections` keep-alive connections; bounded by
 * `durationSec` and by rate × durationSec requests.
 */
export async function runFixedRate(o: LoadOptions & { rate: number }): Promise<LoadResult> {
  assertLoopback(o.url);
  const url = new URL(o.url);
  const pool = new Pool(url.origin, { connections: o.connections, pipelining: 1 });
  const headers = o.authorization ? { authorization: o.authorization } : {};
  const total = Math.floor(o.rate * o.durationSec);
  const latencies = new Float64Array(total);
  let done = 0;
  let errors = 0;
  const start = performance.now();
  const one = async (due: number, i: number): Promise<void> => {
    try {
      const res = await pool.request({ path: url.pathname + url.search, method: 'GET', headers });
      await res.body.dump();
      if (res.statusCode >= 400) errors++;
    } catch {
      errors++;
    }
    latencies[i] = performance.now() - due;
    done++;
  };
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(one(due, i));
  }
  await Promise.all(inflight);
  const took = (performance.now() - start) / 1000;
  await pool.close();
  const sorted = latencies.slice(0, done).sort();
  return {
    rps: done / took,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    errors,
    requests: done,
  };
}
