import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the header-spoofing attacks (test/attacks-spoofing*.test.ts) send and where it lands. */

export interface Seen {
  headers: IncomingHttpHeaders;
  raw: string[];
}

/** An upstream that records every header line as it arrived (rawHeaders keeps every copy and spelling). */
export async function rawUpstream(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ headers: req.headers, raw: [...req.rawHeaders] });
    req.resume();
    res.end('ok');
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

export type Pairs = Array<[string, string]>;

/** A request through node:http with raw header lines: names exactly as given, every copy sent. */
export function send(
  base: string,
  path: string,
  headers: Pairs | OutgoingHttpHeaders,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const pairs: Pairs = Array.isArray(headers)
    ? headers
    : Object.entries(headers).flatMap(([k, v]) =>
        (Array.isArray(v) ? v : [String(v)]).map((x): [string, string] => [k, String(x)]),
      );
  return new Promise((resolve, reject) => {
    // With raw header lines Node adds no Host of its own.
    const host: [string, string] = ['Host', new URL(base).host];
    const req = request(`${base}${path}`, { method, headers: [host, ...pairs].flat() }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
