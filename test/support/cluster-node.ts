import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitForExit } from './processes.js';

/** One node of the test cluster (test/support/cluster.ts) as a process of the built CLI. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'tokengate.js');
export const ADMIN_PASSWORD = 'cluster-admin-password-1';
export const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** The environment of a child: this one without any TOKENGATE_* setting of its own. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TOKENGATE_')) env[k] = v;
  return { ...env, ...extra };
}

/** Children still running if this process dies without its `after`. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** One tokengate node: `tokengate serve` in a process of its own, with its own port, data directory and log. */
export class NodeProcess {
  child: ChildProcess | null = null;
  private output = '';
  readonly dir: string;
  readonly url: string;
  /** The admin listener (web UI, management API). */
  readonly adminUrl: string;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly globalArgs: string[],
    private readonly serveArgs: string[],
    readonly adminPort: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `tg-cluster-${id}-`));
    this.url = `http://127.0.0.1:${port}`;
    this.adminUrl = `http://127.0.0.1:${adminPort}`;
  }

  get logFile(): string {
    return join(this.dir, 'logs', 'tokengate.log');
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Starts the process and resolves once its health check answers with its own node id. */
  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        BIN,
        ...this.globalArgs,
        '--data-dir',
        this.dir,
        'serve',
        ...this.serveArgs,
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--admin-port',
        String(this.adminPort),
        '--node-id',
        this.id,
      ],
      {
        cwd: ROOT,
        env: childEnv({ TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        const res = await fetch(`${this.url}/_tokengate/health`, { signal: AbortSignal.timeout(1_000) });
        const body = (await res.json()) as { nodeId?: string };
        if (res.status === 200 && body.nodeId === this.id) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    await waitForExit(child, STOP_TIMEOUT_MS);
    throw new Error(`node ${this.id} did not become healthy on ${this.url}:\n${this.output}`);
  }

  /** SIGTERM (a graceful stop) or SIGKILL (a crash); resolves once the process is gone. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    child.kill(signal);
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
