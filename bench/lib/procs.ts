/**
 * Child processes of a benchmark run (upstream, gateways, nginx): started, waited for until they
 * answer HTTP, and always stopped, even when the run fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  /** What the process wrote to stderr, for error messages. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Polls `url` until any HTTP answer arrives, for at most `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 30_000, child?: ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    if (child && child.exitCode !== null) throw new Error(`the process exited (${child.exitCode})`);
    try {
      const r = await request(url, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await r.body.dump();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

export async function startProcess(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; readyUrl: string; cwd?: string },
): Promise<Started> {
  const child = spawn(command, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  const started: Started = {
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(timer);
      children.delete(child);
    },
  };
  try {
    await waitForHttp(opts.readyUrl, 30_000, child);
  } catch (err) {
    await started.stop();
    throw new Error(`${command} ${args.join(' ')} did not start: ${(err as Error).message}\n${stderr}`);
  }
  return started;
}
