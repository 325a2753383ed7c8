import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { findBinary, sleep, waitForExit } from './processes.js';

/**
 * A redis-server of a suite's own (test/redis-outage.test.ts, test/redis-hang.test.ts) on a free
 * loopback port, so that it can be stopped, paused and started again without touching the shared
 * one. TOKENGATE_TEST_REDIS_SERVER names the binary when it is not on PATH; under CI=true a missing
 * binary fails the suite instead of skipping it.
 */

const CI = process.env.CI === 'true';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

function findRedisServer(): string | null {
  return findBinary('redis-server', 'TOKENGATE_TEST_REDIS_SERVER', [
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ]);
}

export const REDIS_SERVER = findRedisServer();
if (REDIS_SERVER === null && CI) {
  throw new Error(
    'CI=true and redis-server is required for the Redis-outage test but was not found ' +
      '(apt-get install redis-server, or set TOKENGATE_TEST_REDIS_SERVER)',
  );
}

async function pingOnce(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** A redis-server of this suite's own on one loopback port, stopped and started again at will. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private output = '';
  constructor(
    readonly binary: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.output = '';
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString('utf8')).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await pingOnce(this.url)) return;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(
      `redis-server did not answer on ${this.url} within ${START_TIMEOUT_MS} ms:\n${this.output}`,
    );
  }

  /** SIGSTOP / SIGCONT: Redis keeps its connections open but answers nothing, like a black-holed network path. */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  }
}

/** Why a suite that needs its own redis-server skips here, or false. */
export const noRedisServer: string | false =
  REDIS_SERVER === null ? 'redis-server not installed; skipping the Redis-outage test' : false;
