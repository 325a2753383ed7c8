import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Raw TCP exchanges with a running node, for test/raw-socket*.test.ts. */

/** The longest any single exchange may take before the test calls it a hang. */
export const HANG_MS = 15_000;

export interface Seen {
  method: string;
  url: string;
  bytes: number;
}

/** An upstream that records each request with the size of its body. */
export async function startUpstream(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', bytes });
      const body = JSON.stringify({ url: req.url, bytes });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Exchange {
  /** Status of each response in the bytes received, in order. */
  statuses: number[];
  text: string;
  /** True when the server closed the connection before the deadline. */
  closed: boolean;
  ms: number;
}

/**
 * Writes each part (with `gapMs` between parts, stopping once the server closes) and reads until the
 * server closes the connection or `waitMs` passes. Requests that should succeed say `Connection: close`.
 */
export async function exchange(
  port: number,
  parts: ReadonlyArray<string | Buffer>,
  opts: { gapMs?: number; waitMs?: number } = {},
): Promise<Exchange> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const [i, part] of parts.entries()) {
    if (closed) break;
    socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
    if (opts.gapMs && i < parts.length - 1) await sleep(opts.gapMs);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.waitMs ?? HANG_MS))),
  ]);
  clearTimeout(timer);
  socket.destroy();
  const text = Buffer.concat(chunks).toString('latin1');
  const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  return { statuses, text, closed, ms: Date.now() - started };
}

/** The body of the first response, as JSON. */
export function jsonBody(x: Exchange): { error?: { code: string; message: string } } {
  const start = x.text.indexOf('\r\n\r\n');
  return JSON.parse(x.text.slice(start + 4)) as { error?: { code: string; message: string } };
}

/** A refusal: one 4xx of the expected status, and the connection closed by the server. */
export function assertRefused(x: Exchange, status: number, what: string): void {
  assert.ok(x.closed, `${what}: the server left the connection open (${x.text.slice(0, 120)})`);
  assert.deepEqual(x.statuses, [status], `${what}: ${JSON.stringify(x.text.slice(0, 200))}`);
}

export const TARGETS = [
  { name: 'gateway', path: '/probe/x?y=1' },
  { name: 'management API', path: '/_tokengate/api/v1/me' },
  { name: 'forward-auth', path: '/_tokengate/auth' },
] as const;
