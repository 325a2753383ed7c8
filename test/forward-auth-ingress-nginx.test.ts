import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import {
  commitFile,
  gitAsync,
  makeBareRepo,
  requireGit,
  startGitServer,
  type GitServer,
} from './support/git-server.js';
import { requireNginx, startNginx, type NginxHandle } from './support/nginx.js';
import { assertRefused, exchange, jsonBody } from './support/raw-socket.js';
import { basicAuth, cli, startTestNode, type TestNode } from './support/node.js';

const nginx = requireNginx();
const tools = requireGit();

/**
 * The http block ingress-nginx generates for an Ingress with
 * `nginx.ingress.kubernetes.io/auth-url: http://tokengate.<ns>.svc:8080/_tokengate/auth` and
 * `auth-response-headers: X-Forwarded-User,X-Tokengate-Token-Id,X-Tokengate-Scope`, after its
 * rootfs/etc/nginx/template/nginx.tmpl: the auth location sends X-Original-URL (the full URL) and
 * X-Original-Method, never X-Original-URI, and passes the client's own headers through
 * (`proxy_pass_request_headers on`). Only the addresses are the test's.
 */
function ingressNginxConfig(port: number, tokengate: string, upstream: string): string {
  return `
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 10m;

    location = /_external-auth-Lw {
      internal;
      proxy_pass_request_body     off;
      proxy_set_header            Content-Length          "";
      proxy_set_header            Host                    tokengate.tokengate.svc;
      proxy_set_header            X-Original-URL          $scheme://$http_host$request_uri;
      proxy_set_header            X-Original-Method       $request_method;
      proxy_set_header            X-Sent-From             "nginx-ingress-controller";
      proxy_set_header            X-Real-IP               $remote_addr;
      proxy_set_header            X-Forwarded-For         $remote_addr;
      proxy_set_header            X-Auth-Request-Redirect $request_uri;
      proxy_set_header            X-Forwarded-Host        $http_host;
      proxy_set_header            X-Forwarded-Proto       $scheme;
      proxy_http_version          1.1;
      proxy_pass_request_headers  on;
      set $target http://${tokengate}/_tokengate/auth;
      proxy_pass $target;
    }

    location / {
      # this location requires authentication
      auth_request        /_external-auth-Lw;
      auth_request_set    $auth_cookie $upstream_http_set_cookie;
      add_header          Set-Cookie $auth_cookie;
      auth_request_set $authHeader0 $upstream_http_x_forwarded_user;
      proxy_set_header 'X-Forwarded-User' $authHeader0;
      auth_request_set $authHeader1 $upstream_http_x_tokengate_token_id;
      proxy_set_header 'X-Tokengate-Token-Id' $authHeader1;
      auth_request_set $authHeader2 $upstream_http_x_tokengate_scope;
      proxy_set_header 'X-Tokengate-Scope' $authHeader2;
      proxy_set_header Authorization "";
      proxy_http_version 1.1;
      proxy_pass http://${upstream};
    }
  }
`;
}

describe(
  'forward-auth behind nginx configured as ingress-nginx external auth (X-Original-URL)',
  { skip: 'skip' in nginx ? nginx.skip : 'skip' in tools ? tools.skip : false },
  () => {
    let dir: string;
    let gitServer: GitServer;
    let t: TestNode;
    let proxy: NginxHandle;
    let readToken: string;
    const USER = 'grace';

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tokengate-ingress-nginx-'));
      await makeBareRepo(join(dir, 'srv'), 'repo');
      gitServer = await startGitServer(join(dir, 'srv'));
      // Only /_tokengate/auth of this node is used; its own gateway is never reached here.
      t = await startTestNode(null);
      // git sends its token only after a 401 challenge.
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1'], 'auth.requireAuthentication': true });
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: USER, groups: ['dev'] });
      readToken = (await t.tokenFor(USER, { description: 'git read', scope: 'read' })).token;
      const tokengate = new URL(t.url).host;
      const upstream = new URL(gitServer.url).host;
      proxy = await startNginx((port) => ingressNginxConfig(port, tokengate, upstream));
    });

    after(async () => {
      await proxy?.close();
      await t?.close();
      await gitServer?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    const remote = (): string => `http://${USER}:${readToken}@127.0.0.1:${proxy.port}/repo.git`;

    it("clones with a read token: the upload-pack POST passes on X-Original-URL's path", async () => {
      const before = gitServer.requests.length;
      const r = await gitAsync(['clone', remote(), join(dir, 'clone')], {});
      assert.equal(r.code, 0, `${r.stderr}\n${proxy.errorLog()}`);
      const seen = gitServer.requests.slice(before).map((q) => `${q.method} ${q.url}`);
      assert.ok(seen.includes('POST /repo.git/git-upload-pack'), seen.join('\n'));
      const post = gitServer.requests.find((q) => q.method === 'POST');
      assert.equal(post?.headers['x-forwarded-user'], USER);
      assert.equal(post?.headers['x-tokengate-scope'], 'read');
      assert.equal(post?.headers.authorization, undefined, 'the token never reaches the application');
    });

    it("refuses the read token's push, and nothing of it reaches the Git server", async () => {
      const work = join(dir, 'clone');
      commitFile(work, 'read.txt', 'pushed with a read token\n');
      const before = gitServer.requests.length;
      const r = await gitAsync(['push', 'origin', 'main'], { cwd: work });
      assert.notEqual(r.code, 0, 'the push must fail');
      assert.match(r.stderr, /403/, r.stderr);
      assert.deepEqual(
        gitServer.requests.slice(before).map((q) => `${q.method} ${q.url}`),
        [],
        'neither the receive-pack discovery nor its POST reached git-http-backend',
      );
    });

    it("refuses a client's X-Original-URI that disagrees with ingress-nginx's X-Original-URL", async () => {
      const before = gitServer.requests.length;
      // The receive-pack discovery, claimed to be the upload-pack one: the client's header passes
      // through the subrequest next to the X-Original-URL nginx sets.
      const r = await fetch(`${proxy.url}/repo.git/info/refs?service=git-receive-pack`, {
        headers: {
          authorization: basicAuth(USER, readToken),
          'x-original-uri': '/repo.git/info/refs?service=git-upload-pack',
        },
        signal: AbortSignal.timeout(15_000),
      });
      assert.equal(r.status, 403);
      await r.arrayBuffer();
      // The same header agreeing with X-Original-URL is believed.
      const agreeing = await fetch(`${proxy.url}/repo.git/info/refs?service=git-upload-pack`, {
        headers: {
          authorization: basicAuth(USER, readToken),
          'x-original-uri': '/repo.git/info/refs?service=git-upload-pack',
        },
        signal: AbortSignal.timeout(15_000),
      });
      assert.equal(agreeing.status, 200);
      await agreeing.arrayBuffer();
      assert.deepEqual(
        gitServer.requests.slice(before).map((q) => `${q.method} ${q.url}`),
        ['GET /repo.git/info/refs?service=git-upload-pack'],
      );
    });

    it('refuses X-Original-URL that is not an absolute http(s) URL with a path', async () => {
      for (const url of ['/repo.git/git-upload-pack', 'ftp://h/repo.git', 'http://h', 'http://h?x=1']) {
        const r = await fetch(`${t.url}/_tokengate/auth`, {
          headers: {
            authorization: basicAuth(USER, readToken),
            'x-original-url': url,
            'x-original-method': 'GET',
          },
          signal: AbortSignal.timeout(15_000),
        });
        assert.equal(r.status, 403, url);
        assert.match(await r.text(), /X-Original-URL must be an absolute http\(s\) URL/);
      }
    });

    it('refuses two X-Original-URL headers before the route, like two X-Original-URI', async () => {
      const x = await exchange(
        Number(new URL(t.url).port),
        [
          'GET /_tokengate/auth HTTP/1.1\r\nHost: tokengate\r\n' +
            `Authorization: ${basicAuth(USER, readToken)}\r\n` +
            'X-Original-URL: http://git.example/repo.git/info/refs?service=git-upload-pack\r\n' +
            'X-Original-URL: http://git.example/repo.git/info/refs?service=git-receive-pack\r\n' +
            'X-Original-Method: GET\r\nConnection: close\r\n\r\n',
        ],
        { waitMs: 10_000 },
      );
      assertRefused(x, 403, 'two X-Original-URL');
      assert.match(jsonBody(x).error?.message ?? '', /more than one x-original-url/i);
    });

    it("refuses an untrusted peer's X-Original-URL, directly and through the proxy", async () => {
      await t.settings({ 'auth.trustedProxies': ['192.0.2.1'] });
      try {
        const direct = await fetch(`${t.url}/_tokengate/auth`, {
          headers: {
            authorization: basicAuth(USER, readToken),
            'x-original-url': 'http://git.example/repo.git/info/refs?service=git-upload-pack',
          },
          signal: AbortSignal.timeout(15_000),
        });
        assert.equal(direct.status, 403);
        assert.match(await direct.text(), /accepted only from a trusted proxy \(auth\.trustedProxies\)/);
        const before = gitServer.requests.length;
        const r = await gitAsync(['clone', remote(), join(dir, 'untrusted')], {});
        assert.notEqual(r.code, 0, 'an untrusted proxy cannot say what the request was');
        assert.match(r.stderr, /403/, r.stderr);
        assert.equal(gitServer.requests.length, before, 'nothing reached the Git server');
      } finally {
        await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
      }
    });
  },
);
