/** The tables the bench prints (Markdown, for docs/benchmarks.md) and its chart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SoakResult } from '../soak.js';
import { proxyChart } from './chart.js';
import type { Figures } from './figures.js';
import type { PurgeFigures } from './purge.js';
import type { Scenario } from './scenarios.js';
import { FIXED_RATE } from './scenarios.js';
import { n0, pct } from './util.js';

export type ProxyFigures = Map<string, { s: Scenario; f: Figures }>;

/** The soak's table: one row per window, then capacity, memory slope, p99 spread and answers. */
export function printSoak(r: SoakResult, machine: string, minutes: number): void {
  console.log(
    `\nsoak — ${new Date().toISOString()}\n${machine}; ${minutes} min, every selectable audit event on\n`,
  );
  console.log('| minute | req/s | p50 ms | p99 ms | RSS MB | 200 | 401 | 403 | 429 | other |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const w of r.windows) {
    const st = (k: string): number => w.statuses[k] ?? 0;
    const other =
      Object.entries(w.statuses)
        .filter(([k]) => !['200', '401', '403', '429'].includes(k))
        .reduce((a, [, v]) => a + v, 0) + w.socketErrors;
    console.log(
      `| ${w.minute.toFixed(1)} | ${n0(w.rps)} | ${w.p50.toFixed(2)} | ${w.p99.toFixed(2)} | ${w.rssMb.toFixed(1)} | ${st('200')} | ${st('401')} | ${st('403')} | ${st('429')} | ${other} |`,
    );
  }
  console.log(`\ncapacity with the mix ${n0(r.capacityRps)} req/s; target ${n0(r.targetRps)} req/s (80%)`);
  console.log(`RSS slope after the first window: ${r.rssSlopeMbPerMin.toFixed(3)} MB/min`);
  console.log(
    `p99 over the windows: min ${r.p99.min.toFixed(2)} ms, median ${r.p99.median.toFixed(2)} ms, max ${r.p99.max.toFixed(2)} ms`,
  );
  console.log(
    `answers: ${Object.entries(r.shares)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ')}; unintended (not 200/401/403/429, or socket errors): ${r.unintended}`,
  );
}

/** The proxy scenarios' table. */
export function printProxyTable(proxy: ProxyFigures): void {
  console.log(
    '| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors | CPU µs/req | of which request thread |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { s, f } of proxy.values()) {
    const cpu = f.cpuUs === null ? 'n/a' : f.cpuUs.toFixed(0);
    const main = f.mainCpuUs === null ? 'n/a' : f.mainCpuUs.toFixed(0);
    console.log(
      `| ${s.label} | ${n0(f.rps)} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.p999.toFixed(2)} | ${f.errors} | ${cpu} | ${main} |`,
    );
  }
}

/**
 * The ratios between scenarios, against their targets; the fixed-rate comparison of 3 and 7 when
 * both ran. Returns that comparison for the JSON output, or undefined.
 */
export function printRatios(
  proxy: ProxyFigures,
  fixed: Map<string, Figures>,
): Record<string, unknown> | undefined {
  let fixedRate: Record<string, unknown> | undefined;
  const fig = (id: string): Figures | undefined => proxy.get(id)?.f;
  const ratio = (a: string, b: string): string => {
    const x = fig(a);
    const y = fig(b);
    return x && y ? pct(x.rps / y.rps) : 'n/a';
  };
  const f2 = fig('2');
  const f3 = fig('3');
  const f7 = fig('7');
  console.log('\n| ratio | value | target |');
  console.log('| --- | ---: | --- |');
  console.log(`| 3/2 throughput | ${ratio('3', '2')} | ≥ 90% |`);
  const cpuRatio = (a: string, b: string): string => {
    const x = fig(a)?.cpuUs;
    const y = fig(b)?.cpuUs;
    return x && y ? pct(y / x) : 'n/a';
  };
  console.log(
    `| 2/3 CPU per request (the same ratio from CPU time, robust to noise) | ${cpuRatio('3', '2')} | ≥ 90% |`,
  );
  console.log(`| 3a/3 CPU per request (audit events off vs on) | ${cpuRatio('3', '3a')} | ≥ 95% |`);
  if (f2 && f3) console.log(`| 3 − 2 p99 | ${(f3.p99 - f2.p99).toFixed(2)} ms | ≤ 1 ms |`);
  console.log(`| 3/3a throughput (all audit events on vs off) | ${ratio('3', '3a')} | ≥ 95% |`);
  console.log(
    `| 3/5 throughput (tokengate vs nginx proxy_pass) | ${ratio('3', '5')} | published, pushed up |`,
  );
  console.log(`| 6/5 throughput (nginx auth_request vs nginx alone) | ${ratio('6', '5')} | published |`);
  if (f7 && f3)
    console.log(`| 7 − 3 p50 (Redis vs memory rate limit) | ${(f7.p50 - f3.p50).toFixed(2)} ms | ≤ 0.5 ms |`);
  const x3 = fixed.get('3');
  const x7 = fixed.get('7');
  if (x3 && x7) {
    fixedRate = { rate: FIXED_RATE, '3': x3, '7': x7 };
    console.log(
      `| 7 − 3 p50 at a fixed ${n0(FIXED_RATE)} requests/s (${x3.p50.toFixed(3)} vs ${x7.p50.toFixed(3)} ms; p99 ${x3.p99.toFixed(2)} vs ${x7.p99.toFixed(2)} ms) | ${(x7.p50 - x3.p50).toFixed(3)} ms | ≤ 0.5 ms |`,
    );
  }
  const f8 = fig('8');
  console.log(
    `| 8/3 throughput (--workers 2 vs 1) | ${f8 && f3 ? `${(f8.rps / f3.rps).toFixed(2)}×` : 'n/a'} | ≥ 1.7× |`,
  );
  const mainRatio = (a: string, b: string): string => {
    const x = fig(a)?.mainCpuUs;
    const y = fig(b)?.mainCpuUs;
    return x && y ? pct(y / x) : 'n/a';
  };
  console.log(
    `| 3a/3 request-thread CPU per request (what audit events cost the thread that serves requests) | ${mainRatio('3', '3a')} | |`,
  );

  return fixedRate;
}

/** Writes the proxy scenarios' chart (an SVG) to `file`. */
export function writeProxyChart(proxy: ProxyFigures, file: string, machine: string): void {
  const chartRows = [...proxy.values()].map(({ s, f }) => ({
    label: s.label,
    rps: f.rps,
    p50: f.p50,
    p99: f.p99,
  }));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    proxyChart(
      'tokengate proxy scenarios (medians, one run)',
      `${machine}; ${new Date().toISOString().slice(0, 10)}`,
      chartRows,
    ),
  );
  console.log(`\nchart: ${file}`);
}

/** The purge-under-load table. */
export function printPurge(p: PurgeFigures): void {
  console.log('\n| retention purge (SQLite, while scenario 2 runs) | value |');
  console.log('| --- | ---: |');
  console.log(`| records purged | ${n0(p.rows)} |`);
  console.log(`| purge rate | ${n0(p.purgedPerSecond)} records/s |`);
  console.log(`| proxy before: req/s, p99 | ${n0(p.before.rps)}, ${p.before.p99.toFixed(2)} ms |`);
  console.log(`| proxy during the purge: req/s, p99 | ${n0(p.during.rps)}, ${p.during.p99.toFixed(2)} ms |`);
}
