/**
 * The benchmark's upstream: a minimal node:http server answering every request with the same
 * 1 KB JSON body. It runs in its own process so that it never shares an event loop with the
 * gateway or the load generator.
 *
 *   node bench/upstream.ts <port>     (through tsx; prints "listening <port>")
 */
import { createServer } from 'node:http';

const BODY = Buffer.from(JSON.stringify({ ok: true, pad: 'x'.repeat(1024 - 23) }));

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
