import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError, ERROR_CATALOGUE, type ErrorCode } from '../../domain/errors.js';
import { errorHandler, sendError as sendApiError } from '../api/errors.js';
import { sendError } from './respond.js';

/**
 * The two renderers of a catalogue error, the raw-HTTP one (the proxy, forward-auth, the middleware)
 * and the management API's Fastify adapter, send the same status, headers and body for every code.
 */

const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
const MESSAGE = 'something went wrong: "quoted" and ünïcode';
/** Headers of the connection, not of the response. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function get(
  server: Server | FastifyInstance,
  path: string,
  headers: Record<string, string> = {},
): Promise<Got> {
  const address = ('server' in server ? server.server : server).address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: address.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: withoutTransport(res.headers),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function withoutTransport(headers: IncomingHttpHeaders): Got['headers'] {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !TRANSPORT.has(name)));
}

describe('the raw-HTTP renderer and the Fastify adapter', () => {
  let raw: Server;
  let api: FastifyInstance;

  before(async () => {
    raw = createServer((req, res) => sendError(res, (req.url ?? '/').slice(1) as ErrorCode, MESSAGE));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    api = Fastify({ logger: false });
    api.setErrorHandler(errorHandler(() => {}));
    // Thrown (through the error handler) and sent (as routes and the not-found handler do).
    api.get<{ Params: { code: ErrorCode } }>('/thrown/:code', async (req) => {
      throw new AppError(req.params.code, MESSAGE);
    });
    api.get<{ Params: { code: ErrorCode } }>('/sent/:code', (req, reply) =>
      sendApiError(reply, new AppError(req.params.code, MESSAGE)),
    );
    await api.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    await api.close();
    await new Promise((resolve) => raw.close(resolve));
  });

  it('agree for every catalogue code: status, headers and body', async () => {
    for (const code of CODES) {
      const fromRaw = await get(raw, `/${code}`);
      const { status, summary } = ERROR_CATALOGUE[code];
      assert.equal(fromRaw.status, status, `${code} (${summary})`);
      assert.deepEqual(JSON.parse(fromRaw.text), { error: { code, message: MESSAGE } }, code);
      assert.equal(fromRaw.headers['content-type'], 'application/json; charset=utf-8', code);
      assert.equal(fromRaw.headers['cache-control'], 'no-store', code);
      assert.equal(fromRaw.headers['www-authenticate'] !== undefined, code === 'unauthorized', code);
      assert.equal(fromRaw.headers['retry-after'], code === 'unavailable' ? '5' : undefined, code);
      for (const way of ['thrown', 'sent']) {
        const fromApi = await get(api, `/${way}/${code}`);
        assert.deepEqual(fromApi, fromRaw, `${code}, ${way}`);
      }
    }
  });

  it('send a 401 both challenges', async () => {
    const r = await get(raw, '/unauthorized');
    assert.equal(
      r.headers['www-authenticate'],
      'Basic realm="tokengate", charset="UTF-8", Bearer realm="tokengate"',
    );
  });

  it('differ only where the API is asked by a script of the web UI: no challenge on its 401', async () => {
    const xhr = { 'x-requested-with': 'XMLHttpRequest' };
    for (const code of CODES) {
      const fromRaw = await get(raw, `/${code}`, xhr);
      const fromApi = await get(api, `/thrown/${code}`, xhr);
      const { 'www-authenticate': challenge, ...rest } = fromRaw.headers;
      assert.equal(challenge !== undefined, code === 'unauthorized', code);
      assert.deepEqual(fromApi, { ...fromRaw, headers: rest }, code);
    }
  });
});
