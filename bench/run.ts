/**
 * The benchmark harness: tokengate side by side with its upstream and nginx, in one run, on loopback.
 *
 *   npm run bench                 # the full run (about 10 minutes)
 *   npm run bench -- --quick      # a short run (about 2 minutes)
 *   npm run bench -- --audit-rows 10000000   # the audit queries at 10M rows as well
 *   npm run bench -- --profile DIR           # CPU profiles of the gateways (.cpuprofile, per thread)
 *
 * Proxy scenarios, all against one upstream process (node:http, 1 KB JSON) at one concurrency:
 *   1 the upstream, called directly
 *   2 tokengate's proxy, authentication off (no credentials, anonymous allowed): the baseline
 *   3 Bearer token, scope check, a rate limit never hit, every selectable audit event on
 *   3a as 3 with every selectable audit event off
 *   4 as 3 with Basic user:token
 *   5 nginx proxy_pass (when nginx is installed)
 *   6 nginx auth_request to tokengate's forward-auth endpoint (when nginx is installed)
 *   7 as 3 with the rate limit in Redis (when Redis answers on loopback)
 *   8 as 3 with `serve --workers 2`
 * Scenarios run in interleaved rounds and each figure is the median over the rounds: the machine
 * is noisy, the ratios within one run are what count. Then: micro benchmarks (verification,
 * rate-limit stores), the audit log (ingest, page queries, purge rate) and the proxy's p99 while a
 * retention purge runs, and the start-up time of one-shot CLI commands (bench/cli-startup.ts; `--skip cli`).
 * Every loop is bounded; every target is a loopback address.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchRateLimits, benchVerification } from './micro.js';
import { runSoak } from './soak.js';
import { printResult, runAuditBench } from './audit.js';
import { printCliStartup, runCliStartupBench } from './cli-startup.js';
import type { Figures } from './lib/figures.js';
import {
  args,
  CONNECTIONS,
  DURATION,
  QUICK,
  ROOT,
  ROUNDS,
  SKIP,
  SOAK,
  SOAK_MINUTES,
  TOOL,
} from './lib/options.js';
import { purgeUnderLoad } from './lib/purge.js';
import { printProxyTable, printPurge, printRatios, printSoak, writeProxyChart } from './lib/report.js';
import { fixedRateScenarios, runProxyScenarios } from './lib/scenarios.js';
import { applyProfile, setUp, type Env } from './lib/setup.js';
import { log, n0, pct } from './lib/util.js';

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load generator ${TOOL}${TOOL === 'wrk' ? ' (1 thread)' : ''}, ${CONNECTIONS} connections`;
}

/** The soak instead of the scenarios: the gateway under a realistic mix for `--soak-minutes`. */
async function soak(e: Env, out: Record<string, unknown>): Promise<void> {
  if (TOOL !== 'wrk')
    throw new Error('the soak needs wrk (apt-get install wrk): its request mix is a wrk script');
  await applyProfile(e, 'audit-on');
  const r = await runSoak(e.ctx, e.urls.gateway, e.pids.gateway, {
    minutes: SOAK_MINUTES,
    connections: CONNECTIONS,
    log,
  });
  out.soak = r;
  printSoak(r, machine(), SOAK_MINUTES);
}

/** The proxy scenarios, their ratios and the chart. Returns the figures, by scenario id. */
async function proxy(e: Env, out: Record<string, unknown>): Promise<(id: string) => Figures | undefined> {
  console.log(
    `\ntokengate benchmark — ${new Date().toISOString()}\n${machine()}; ${ROUNDS} round(s) of ${DURATION} s per scenario, medians\n`,
  );
  const proxy = await runProxyScenarios(e);
  const fixed = await fixedRateScenarios(e);
  out.proxy = Object.fromEntries([...proxy].map(([id, { s, f }]) => [id, { label: s.label, ...f }]));
  printProxyTable(proxy);
  const fixedRate = printRatios(proxy, fixed);
  if (fixedRate) out.fixedRate = fixedRate;
  writeProxyChart(proxy, args.chart, machine());
  return (id) => proxy.get(id)?.f;
}

/** Micro benchmarks: token verification, and the rate-limit stores (Redis when scenario 7 ran). */
async function micro(out: Record<string, unknown>, redisRan: boolean): Promise<void> {
  const ms = QUICK ? 300 : 1_500;
  const v = await benchVerification(ms);
  out.verification = v;
  const rl = await benchRateLimits(ms, redisRan ? args.redis : null);
  out.rateLimits = rl;
  console.log('\n| micro benchmark | value | target |');
  console.log('| --- | ---: | --- |');
  console.log(`| raw SHA-256 (hex) of a token | ${n0(v.sha256PerSecond)}/s | |`);
  console.log(
    `| cached verification (header → decision) | ${n0(v.verificationsPerSecond)}/s = ${pct(v.ratio)} of SHA-256 | ≥ 80% |`,
  );
  for (const r of rl) {
    console.log(
      `| rate-limit decisions, ${r.store} (64 in flight) | ${n0(r.decisionsPerSecond)}/s; alone p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms | |`,
    );
  }
}

/** The audit log alone, on both databases: ingest through the queue, page queries, purge. */
async function audit(out: Record<string, unknown>): Promise<void> {
  const rows = Number(args['audit-rows'] ?? (QUICK ? 100_000 : 1_000_000));
  if (!Number.isInteger(rows) || rows < 1_000 || rows > 100_000_000)
    throw new Error('--audit-rows must be an integer from 1000 to 100000000');
  const audit: Record<string, unknown> = {};
  for (const db of ['sqlite', 'postgres'] as const) {
    try {
      const r = await runAuditBench(db, rows, Math.min(Math.floor(rows / 10), 1_000_000), {
        onProgress: (m: string) => log(`  ${m}`),
      });
      audit[db] = r;
      printResult(db === 'sqlite' ? 'audit log, SQLite (file, WAL)' : 'audit log, PostgreSQL', r);
    } catch (err) {
      console.log(`\naudit log on ${db}: not measured (${(err as Error).message})`);
    }
  }
  out.audit = audit;
}

async function main(): Promise<void> {
  const started = Date.now();
  log('building dist/ (the gateway runs compiled, as `npm start` runs it)…');
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const e = await setUp();
  const out: Record<string, unknown> = {
    machine: machine(),
    quick: QUICK,
    rounds: ROUNDS,
    durationSec: DURATION,
  };
  try {
    if (SOAK) {
      await soak(e, out);
      return;
    }
    const fig = await proxy(e, out);
    if (!SKIP.has('micro')) await micro(out, fig('7') !== undefined);
    if (!SKIP.has('audit')) await audit(out);
    if (!SKIP.has('purge')) {
      const p = await purgeUnderLoad(e);
      out.purge = p;
      printPurge(p);
    }
    if (!SKIP.has('cli')) {
      const c = await runCliStartupBench({ runs: QUICK ? 5 : 15 });
      out.cliStartup = c;
      printCliStartup(c);
    }
  } finally {
    for (const p of e.procs.reverse()) await p.stop();
    await e.ctx.close();
    rmSync(e.dir, { recursive: true, force: true });
  }
  if (args.json) writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
  log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
}

await main();
