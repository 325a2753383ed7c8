/**
 * The options of `npm run bench` (bench/run.ts), parsed and checked once when the harness starts:
 * a bad value stops the run before anything is started.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { wrkAvailable, type LoadTool } from './load.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    tool: { type: 'string' },
    redis: { type: 'string', default: process.env.TOKENGATE_BENCH_REDIS ?? 'redis://127.0.0.1:6379' },
    'audit-rows': { type: 'string' },
    'purge-rows': { type: 'string' },
    chart: { type: 'string', default: join(ROOT, 'docs', 'img', 'bench-proxy.svg') },
    json: { type: 'string' },
    skip: { type: 'string', default: '' },
    soak: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string', default: '10' },
    /** A directory: every tokengate process writes a V8 CPU profile there when it stops. */
    profile: { type: 'string' },
  },
});

export const QUICK = args.quick;
export const ROUNDS = Number(args.rounds ?? (QUICK ? 1 : 3));
export const DURATION = Number(args.duration ?? (QUICK ? 4 : 10));
export const WARMUP = QUICK ? 1 : 2;
export const CONNECTIONS = Number(args.connections);
export const TOOL: LoadTool = (args.tool as LoadTool | undefined) ?? (wrkAvailable() ? 'wrk' : 'autocannon');
export const PURGE_ROWS = Number(args['purge-rows'] ?? (QUICK ? 200_000 : 1_000_000));
export const SOAK = args.soak;
// The soak needs only the gateway: no second gateway, Redis or nginx.
export const SKIP = new Set([
  ...args.skip.split(',').filter(Boolean),
  ...(SOAK ? ['workers', 'redis', 'nginx'] : []),
]);
export const SOAK_MINUTES = Number(args['soak-minutes']);
if (!Number.isInteger(SOAK_MINUTES) || SOAK_MINUTES < 1 || SOAK_MINUTES > 240)
  throw new Error('--soak-minutes must be an integer from 1 to 240');

for (const [name, v] of [
  ['--rounds', ROUNDS],
  ['--duration', DURATION],
  ['--connections', CONNECTIONS],
  ['--purge-rows', PURGE_ROWS],
] as const) {
  if (!Number.isInteger(v) || v < 1 || v > 100_000_000) throw new Error(`${name} must be a positive integer`);
}
if (ROUNDS > 20 || DURATION > 600) throw new Error('--rounds is at most 20 and --duration at most 600');
