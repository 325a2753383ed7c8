import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Headers the demo echoes: who tokengate says the caller is, and how the request travelled. */
const SHOWN = [
  'x-forwarded-user',
  'x-tokengate-token-id',
  'x-tokengate-scope',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
];

/**
 * The built-in demo upstream, "whoami": it answers every request with the method, the path and the
 * identity headers it received, so a newcomer sees what tokengate tells the application. It listens
 * on loopback only and never echoes a credential's value.
 */
export async function startWhoami(): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const name of SHOWN) {
      const v = req.headers[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    const body = JSON.stringify(
      {
        service: 'tokengate demo upstream (whoami)',
        method: req.method,
        url: req.url,
        authenticatedUser: req.headers['x-forwarded-user'] ?? null,
        authorizationHeader:
          req.headers.authorization === undefined ? 'absent' : 'present (passed on, not shown)',
        headers,
      },
      null,
      2,
    );
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
