/**
 * CLI start-up benchmark: the wall time of one-shot commands, process start to exit, as an operator
 * types them, against a temporary data directory with a few users, tokens and audit records.
 *
 *   npm run bench:cli                          # builds dist/, 15 runs per command
 *   npm run bench:cli -- --runs 40
 *   npm run bench:cli -- --bin ../old/bin/tokengate.js --no-build   # another checkout
 *   npm run bench:cli -- --bin ../old/bin/tokengate.js --bin bin/tokengate.js   # before/after, interleaved
 *
 * Commands run in interleaved rounds (one run of each per round, of each binary when several are
 * given), so that a burst of load from other processes is spread over all of them. Reported per command: median and p90 wall ms, and the mean CPU
 * time of the process (user + system, from /proc on Linux), which other processes' load disturbs
 * less than the wall time. `node -e 0` is measured the same way: the floor no command can go below.
 * As a module (bench/run.ts): runCliStartupBench, then printCliStartup. Every loop is bounded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bootstrap, openApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { auditEvent } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { silentLogger } from '../src/log/logger.js';
import { systemContext } from '../src/services/context.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_BIN = join(ROOT, 'bin', 'tokengate.js');
const MAX_RUNS = 500;
const RUN_TIMEOUT_MS = 60_000;
const ADMIN_PASSWORD = 'cli-startup-bench-password';

/** The commands measured: the common ones, and `--version` for the cost of starting the CLI at all. */
export const CLI_COMMANDS: readonly (readonly string[])[] = [
  ['--version'],
  ['token', 'list'],
  ['settings', 'get'],
  ['audit', 'list', '--limit', '5'],
];

export interface CommandTiming {
  command: string;
  runs: number;
  medianMs: number;
  p90Ms: number;
  /** Mean CPU time (user + system) per run; null where /proc is not available. */
  cpuMs: number | null;
}

export interface CliStartupResult {
  bin: string;
  runs: number;
  /** `node -e 0`: starting Node itself. */
  node: CommandTiming;
  commands: CommandTiming[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** CPU time of this process's waited-for children so far, in ms (Linux /proc); null elsewhere. */
function childrenCpuMs(): number | null {
  try {
    // Fields after the command name (which may hold spaces): cutime and cstime are the 14th and 15th.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    // USER_HZ is 100 on every Linux build Node supports.
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

/** A data directory like a small installation: an admin, two users, 30 tokens, 500 audit records. */
async function makeDataDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-cli-'));
  const ctx = await openApp(
    loadConfig({ dataDir: dir }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli'),
    {
      log: silentLogger,
    },
  );
  try {
    await bootstrap(ctx, () => undefined);
    const cli = systemContext(CLI_PRINCIPAL.username);
    await ctx.settings.update(CLI_PRINCIPAL, cli, { 'tokens.maxPerUser': 100 });
    for (const username of ['ada', 'linus']) {
      await ctx.users.create(CLI_PRINCIPAL, cli, { username });
      for (let i = 0; i < 15; i++)
        await ctx.tokens.create(CLI_PRINCIPAL, cli, username, { description: `${username} job ${i}` });
    }
    const start = Date.now() - 500_000;
    await ctx.store.transaction((tx) =>
      tx.audit.append(
        Array.from({ length: 500 }, (_, i) =>
          auditEvent(systemContext('ada'), 'bench', start + i * 1000, {
            category: 'authentication',
            action: 'auth.success',
            summary: `request ${i}`,
          }),
        ),
      ),
    );
  } finally {
    await ctx.close();
  }
  return dir;
}

function timeOnce(args: readonly string[]): { wallMs: number; cpuMs: number | null } {
  const cpuBefore = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD },
    timeout: RUN_TIMEOUT_MS,
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return { wallMs, cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

function summarise(command: string, samples: { wallMs: number; cpuMs: number | null }[]): CommandTiming {
  const walls = samples.map((s) => s.wallMs).sort((a, b) => a - b);
  const cpus = samples.map((s) => s.cpuMs);
  const cpuKnown = cpus.every((c): c is number => c !== null);
  return {
    command,
    runs: samples.length,
    medianMs: quantile(walls, 0.5),
    p90Ms: quantile(walls, 0.9),
    cpuMs: cpuKnown ? cpus.reduce((a, b) => a + b, 0) / cpus.length : null,
  };
}

/** Runs each command `runs` times (after one unmeasured warm-up run each) against a temporary data directory. */
export async function runCliStartupBench(opts: { runs: number; bin?: string }): Promise<CliStartupResult> {
  const [result] = await compareCliStartup({ runs: opts.runs, bins: [opts.bin ?? DEFAULT_BIN] });
  if (!result) throw new Error('no result');
  return result;
}

/**
 * The same for several binaries (a checkout before a change and after it), in the same rounds and
 * against the same data directory, so that they meet the same load. `node -e 0` runs once per round.
 */
export async function compareCliStartup(opts: {
  runs: number;
  bins: readonly string[];
}): Promise<CliStartupResult[]> {
  if (!Number.isInteger(opts.runs) || opts.runs < 1 || opts.runs > MAX_RUNS)
    throw new Error(`runs must be an integer from 1 to ${MAX_RUNS}`);
  const bins = opts.bins.map((b) => resolve(b));
  if (bins.length === 0) throw new Error('no binary to measure');
  for (const bin of bins) if (!existsSync(bin)) throw new Error(`no such file: ${bin}`);
  const dir = await makeDataDir();
  try {
    const all = [
      ['-e', '0'],
      ...bins.flatMap((bin) => CLI_COMMANDS.map((c) => [bin, '--data-dir', dir, ...c])),
    ];
    const samples = all.map(() => [] as { wallMs: number; cpuMs: number | null }[]);
    for (const args of all) timeOnce(args);
    for (let round = 0; round < opts.runs; round++)
      all.forEach((args, i) => samples[i]?.push(timeOnce(args)));
    const [nodeSamples, ...commandSamples] = samples;
    if (!nodeSamples) throw new Error('no samples');
    const node = summarise('node -e 0', nodeSamples);
    return bins.map((bin, b) => ({
      bin,
      runs: opts.runs,
      node,
      commands: CLI_COMMANDS.map((c, i) =>
        summarise(`tokengate ${c.join(' ')}`, commandSamples[b * CLI_COMMANDS.length + i] ?? []),
      ),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printCliStartup(r: CliStartupResult): void {
  const cpu = (t: CommandTiming): string => (t.cpuMs === null ? 'n/a' : t.cpuMs.toFixed(0));
  console.log(`\nCLI start-up (${r.runs} runs each, interleaved; ${r.bin})\n`);
  console.log('| command | median ms | p90 ms | CPU ms (mean) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const t of [r.node, ...r.commands])
    console.log(`| \`${t.command}\` | ${t.medianMs.toFixed(0)} | ${t.p90Ms.toFixed(0)} | ${cpu(t)} |`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '15' },
      bin: { type: 'string', multiple: true },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (!values['no-build']) {
    // The CLI runs compiled (bin/tokengate.js prefers dist/): measure the code as it is now.
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
  }
  const results = await compareCliStartup({ runs: Number(values.runs), bins: values.bin ?? [DEFAULT_BIN] });
  for (const r of results) printCliStartup(r);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
