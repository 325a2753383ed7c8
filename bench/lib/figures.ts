/** CPU time of processes from /proc, and the medians the harness reports over its rounds. */
import { readFileSync } from 'node:fs';
import type { LoadResult } from './load.js';

/** The process and its descendants (node:cluster workers, nginx workers), from /proc. */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const c of children.split(/\s+/).filter(Boolean)) out.push(...processTree(Number(c)));
  } catch {
    // not Linux, or the process is gone: only the pid itself
  }
  return out;
}

/**
 * CPU time (user + system) of the processes so far, in ms; null where /proc is unavailable. With
 * `mainThread`, only each process's main thread: the one that serves requests (the audit writer,
 * libuv's pool and V8's GC helpers are threads of their own).
 */
export function cpuMs(pids: readonly number[], mainThread = false): number | null {
  let ticks = 0;
  try {
    for (const pid of pids) {
      const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return null;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

export interface Figures {
  /** CPU time of the serving processes per request, µs (median over rounds); null without /proc. */
  cpuUs: number | null;
  /** Of which their main (request) threads, µs per request. */
  mainCpuUs: number | null;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export interface Run extends LoadResult {
  cpuUs: number | null;
  mainCpuUs: number | null;
}

export function summarise(runs: readonly Run[]): Figures {
  const cpu = runs.map((r) => r.cpuUs).filter((c): c is number => c !== null);
  const main = runs.map((r) => r.mainCpuUs).filter((c): c is number => c !== null);
  return {
    cpuUs: cpu.length > 0 ? median(cpu) : null,
    mainCpuUs: main.length > 0 ? median(main) : null,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    p999: median(runs.map((r) => r.p999)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}
