import { connect } from 'node:net';

/**
 * Readiness (`/readyz`): can this node serve? Each check is a dependency the node needs, run with a
 * time bound so a hung dependency makes the probe fail rather than hang. Liveness (`/livez`) checks
 * nothing: a process that answers is alive, and restarting it would not bring a database back.
 */

/** One dependency: resolves when it answers, rejects (or times out) when it does not. */
export interface ReadinessCheck {
  /** The name the JSON body uses: `database`, `redis`, `upstream`. */
  name: string;
  check(): Promise<void>;
}

export type CheckState = 'ok' | 'unavailable';

/** What `/readyz` answers: 200 with every check ok, else 503 naming what failed and why. */
export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  checks: Record<string, CheckState>;
  /** The failed checks' errors, by name: a driver's message, never a credential (see `describe`). */
  errors: Record<string, string>;
}

/** `/readyz`'s status code for a report: 503 when a dependency failed. */
export function readyStatus(report: ReadinessReport): 200 | 503 {
  return report.status === 'ready' ? 200 : 503;
}

/** Longest a check may take; past it the dependency counts as unavailable. */
export const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(p: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** An error's message without anything URL-like: a driver may quote its connection string, password included. */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 200);
}

export class Readiness {
  private running: Promise<ReadinessReport> | null = null;

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {}

  /** Runs every check at once; probes arriving meanwhile share the run. */
  run(): Promise<ReadinessReport> {
    this.running ??= this.runAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runAll(): Promise<ReadinessReport> {
    const results = await Promise.allSettled(
      this.checks.map((c) =>
        withTimeout(
          Promise.resolve().then(() => c.check()),
          this.timeoutMs,
          c.name,
        ),
      ),
    );
    const checks: Record<string, CheckState> = {};
    const errors: Record<string, string> = {};
    results.forEach((r, i) => {
      const name = this.checks[i]?.name ?? String(i);
      checks[name] = r.status === 'fulfilled' ? 'ok' : 'unavailable';
      if (r.status === 'rejected') errors[name] = describe(r.reason);
    });
    const ready = results.every((r) => r.status === 'fulfilled');
    return { status: ready ? 'ready' : 'unavailable', checks, errors };
  }
}

/** The upstream accepts a TCP connection (nothing is sent: an HTTP request could have effects). */
export function upstreamCheck(upstream: URL): ReadinessCheck {
  const port = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
  const host = upstream.hostname.replace(/^\[|\]$/g, '');
  return {
    name: 'upstream',
    check: () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host, port });
        // The probe gave up at the run's bound: let the socket go too.
        socket.setTimeout(CHECK_TIMEOUT_MS, () => socket.destroy(new Error('connect timed out')));
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', (err) => {
          socket.destroy();
          reject(err);
        });
      }),
  };
}
