import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { requireNginx, startNginx, type NginxHandle } from './support/nginx.js';

const nginx = requireNginx();

interface Backend {
  port: number;
  seen: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function backend(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Backend> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('nginx test support', { skip: 'skip' in nginx ? nginx.skip : false }, () => {
  let upstream: Backend;
  let auth: Backend;

  before(async () => {
    upstream = await backend((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`upstream saw ${req.method ?? '?'} ${req.url ?? '?'}`);
    });
    auth = await backend((req, res) => {
      res.statusCode = req.headers.authorization === 'Bearer good' ? 200 : 401;
      res.end();
    });
  });

  after(async () => {
    await upstream?.close();
    await auth?.close();
  });

  it('proxies to an upstream', async () => {
    const proxy = await startNginx(
      (port) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream.port};
    }
  }`,
    );
    try {
      assert.equal(proxy.url, `http://127.0.0.1:${proxy.port}`);
      const res = await fetch(`${proxy.url}/hello?x=1`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream saw GET /hello?x=1');
      assert.equal(res.headers.get('server')?.startsWith('nginx'), true);
      assert.match(proxy.errorLog(), /start worker process|using the "epoll"|\[notice\]/);
    } finally {
      await proxy.close();
    }
    // The log survives close(), the process and its files do not.
    assert.equal(typeof proxy.errorLog(), 'string');
    await assert.rejects(fetch(`${proxy.url}/`));
  });

  describe('auth_request', () => {
    let proxy: NginxHandle;

    before(async () => {
      proxy = await startNginx(
        (port) => `
  server {
    listen 127.0.0.1:${port};
    location = /_auth {
      internal;
      proxy_pass http://127.0.0.1:${auth.port}/check;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
    }
    location / {
      auth_request /_auth;
      proxy_pass http://127.0.0.1:${upstream.port};
    }
  }`,
      );
    });

    after(async () => {
      await proxy?.close();
    });

    it('lets a request with a good token through to the upstream', async () => {
      const before = upstream.seen.length;
      const res = await fetch(`${proxy.url}/repo`, { headers: { authorization: 'Bearer good' } });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream saw GET /repo');
      assert.equal(upstream.seen.length, before + 1);
      const check = auth.seen.at(-1);
      assert.equal(check?.authorization, 'Bearer good');
      assert.equal(check?.['x-original-uri'], '/repo');
    });

    it('answers 401 to a bad token without reaching the upstream', async () => {
      const before = upstream.seen.length;
      const res = await fetch(`${proxy.url}/repo`, { headers: { authorization: 'Bearer bad' } });
      assert.equal(res.status, 401);
      await res.arrayBuffer();
      assert.equal(upstream.seen.length, before);
    });

    it('passes no body to the auth subrequest', async () => {
      const res = await fetch(`${proxy.url}/upload`, {
        method: 'POST',
        headers: { authorization: 'Bearer good', 'content-type': 'text/plain' },
        body: 'payload',
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream saw POST /upload');
      const check = auth.seen.at(-1);
      assert.equal(check?.['content-length'], undefined);
    });
  });

  it('rejects a config nginx -t refuses, with its output', async () => {
    await assert.rejects(
      startNginx(() => 'server { listen 127.0.0.1:1; no_such_directive on; }'),
      /nginx -t rejected the config:[\s\S]*no_such_directive/,
    );
  });
});
