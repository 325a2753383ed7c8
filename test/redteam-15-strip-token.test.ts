import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { createTokengate, type Tokengate, type TokengateRequestInfo } from '../src/middleware/index.js';
import { cli } from './support/node.js';

/** The user tokengate set on a framework's request. */
function userOf(req: unknown): string {
  return (req as { tokengate?: TokengateRequestInfo }).tokengate?.identity?.user ?? '-';
}

/** Builds Node's headersDistinct now, as an application that reads it early does. */
function readDistinct(req: IncomingMessage): number {
  return Object.keys(req.headersDistinct).length;
}

/** Every copy of the request's headers an application (or a proxy inside it) can read. */
function copies(req: IncomingMessage): string {
  return JSON.stringify({
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    headersDistinct: req.headersDistinct,
  });
}

/**
 * Red team, issue 15: stripToken (default on) removes the token that authenticated a request from
 * every copy of its headers: `headers`, `rawHeaders` and `headersDistinct`, whichever the
 * application or a framework read first, in Express, Fastify and a plain http server, for Bearer
 * and for Basic with a placeholder or a case variant of the owner's name.
 */
describe('red team 15: stripToken leaves the token nowhere', () => {
  let dir: string;
  let tg: Tokengate;
  let token: string;
  const servers: Server[] = [];
  let fastify: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-rt15-mw-'));
    tg = await createTokengate({ dataDir: dir, nodeId: 'rt15-node', show: () => undefined });
    const { ctx } = tg.runtime;
    await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'carol', groups: ['dev'] });
    token = (await ctx.tokens.create(CLI_PRINCIPAL, cli, 'carol', { description: 'rt15', scope: 'write' }))
      .token;
  });
  after(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    await fastify?.close();
    await tg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const listen = async (s: Server): Promise<string> => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  const credentials = (): Record<string, string> => ({
    bearer: `Bearer ${token}`,
    placeholder: `Basic ${Buffer.from(`x-token-auth:${token}`).toString('base64')}`,
    empty: `Basic ${Buffer.from(`:${token}`).toString('base64')}`,
    upper: `Basic ${Buffer.from(`CAROL:${token}`).toString('base64')}`,
  });

  const check = async (base: string): Promise<void> => {
    for (const [name, authorization] of Object.entries(credentials())) {
      const r = await fetch(`${base}/x`, { headers: { authorization } });
      const text = await r.text();
      assert.equal(r.status, 200, `${name}: ${text}`);
      assert.ok(text.includes('carol'), `${name}: not authenticated as carol: ${text}`);
      assert.ok(!text.includes(token.slice(4, 20)), `${name}: the token is still in the request: ${text}`);
      const b64 = authorization.split(' ')[1] ?? '';
      assert.ok(
        !text.includes(b64.slice(0, 20)),
        `${name}: the Basic value is still in the request: ${text}`,
      );
    }
  };

  for (const early of [false, true]) {
    const when = early ? 'read before tokengate' : 'first read after tokengate';
    it(`express: headers, rawHeaders and headersDistinct (${when})`, async () => {
      const app = express();
      if (early)
        app.use((req, _res, next) => {
          readDistinct(req);
          next();
        });
      app.use(tg.express());
      app.get('/x', (req, res) => {
        res.type('text').send(`${userOf(req)} ${copies(req)}`);
      });
      await check(await listen(createServer(app)));
    });

    it(`plain http server with authenticate() (${when})`, async () => {
      const base = await listen(
        createServer((req, res) => {
          if (early) readDistinct(req);
          tg.authenticate(req).then(
            (r) => res.end(`${r.identity?.user ?? '-'} ${copies(req)}`),
            (err: unknown) => res.writeHead(500).end(String(err)),
          );
        }),
      );
      await check(base);
    });
  }

  it('fastify: request.headers and request.raw', async () => {
    fastify = Fastify();
    await fastify.register(tg.fastify);
    fastify.get('/x', (req) => `${userOf(req)} ${JSON.stringify(req.headers)} ${copies(req.raw)}`);
    await check(await fastify.listen({ port: 0, host: '127.0.0.1' }));
  });
});
