import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { checkRequestTarget } from '../src/domain/auth/request-target.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Finding 9 of issue 14: paths that Tomcat, Jetty, Spring, nginx or Node read differently from the
 * way tokengate judged them. Each row names who reads the path differently; tokengate refuses every
 * one of them with 400 (403 on forward-auth, where nginx turns a 400 into a 500), before
 * authentication, so a rule such as `POST /public/**` can never be walked out of.
 * The same table is in docs/gateway.md ("Paths tokengate refuses").
 */
const REFUSED: Array<[target: string, why: string]> = [
  ['/a/..;/git-upload-pack', 'Tomcat strips ";…" per segment: "..;" is the dot-segment ".."'],
  ['/a/.;/git-upload-pack', 'Tomcat: ".;" is "."'],
  [
    '/api;x=1/search',
    'path parameter: Tomcat/Jetty/Spring route /api/search, nginx and Node /api;x=1/search',
  ],
  ['/api/search;x', 'path parameter on the last segment (other than ;jsessionid=)'],
  ['/a/;jsessionid=1/b', 'jsessionid is accepted only at the very end of the path'],
  ['/a/..;jsessionid=1', 'without its jsessionid the path ends in ".."'],
  ['/a/..%3b/b', 'Spring UrlPathHelper decodes, then removes ";…": "..%3b" becomes ".."'],
  ['/a/%3B/b', 'encoded ";" in any case'],
  ['/a/%252e%252e/b', 'double encoding: a second decoder (Spring, a servlet app) sees "%2e%2e" then ".."'],
  ['/a/%25/b', 'encoded "%" (Spring StrictHttpFirewall, Jetty ambiguous encoding)'],
  ['/a/%c0%ae%c0%ae/b', 'overlong UTF-8 for "." (old Tomcat, IIS)'],
  ['/a/%e0%80%ae/b', 'overlong three-byte "."'],
  ['/a/%c0%af/b', 'overlong "/"'],
  ['/a/%ff/b', 'not UTF-8 at all'],
  ['/a/%zz/b', 'invalid percent-encoding (Tomcat 400, Node leaves it, nginx 400)'],
  ['/a/%2', 'truncated percent-encoding'],
  ['/a/%', 'a lone "%"'],
  ['/a/%u002e%u002e/b', 'IIS/old Jetty %u encoding'],
  ['/a//b', 'empty segment: nginx merge_slashes and Tomcat read /a/b, Jetty and Node keep it'],
  ['//a', 'empty first segment (Node: a scheme-relative URL)'],
  ['/a/%2E%2e/b', '%2e in any case is a dot (nginx, Tomcat, WHATWG URL)'],
  ['/a/.%2E/b', 'half-encoded dot-segment'],
  ['/a/%2F', 'encoded "/"'],
  ['/a/%0a/b', 'encoded line feed'],
  ['/a/%0D/b', 'encoded carriage return'],
  ['/a/%09/b', 'encoded tab'],
  ['/a/%7f/b', 'encoded DEL'],
  ['/a/%c2%85/b', 'C1 control (NEL)'],
  ['/a/%e2%80%a8/b', 'U+2028 line separator (Spring firewall)'],
  ['/a/%ef%bc%8e%ef%bc%8e/b', 'fullwidth dots: NFKC-normalising code reads ".."'],
  ['/a/%ef%bc%8f/b', 'fullwidth solidus: NFKC reads "/"'],
  ['/a/%ef%bc%bc/b', 'fullwidth reverse solidus'],
  ['/a/%e2%80%a4%e2%80%a4/b', 'one-dot leaders: NFKC reads ".."'],
  ['/a/.../b', 'a segment of dots only (Windows hosts read "..." as "." )'],
  ['/a/..%20/b', 'dots and trailing spaces: Windows hosts drop the spaces, leaving ".."'],
  ['/a/.%20/b', 'Windows hosts: "."'],
  ['/a/../b', 'plain dot-segment'],
  ['/a/./b', 'plain dot-segment'],
  ['/a\\b', 'backslash: Tomcat (ALLOW_BACKSLASH), WHATWG URL read "/"'],
  ['/a/%5C/b', 'encoded backslash'],
  ['/a/%00', 'encoded NUL'],
  ['/a#/b', 'fragment'],
];

/** Only at unit level: Node's HTTP client refuses to send these, and its server refuses most. */
const REFUSED_RAW: Array<[target: string, why: string]> = [
  ['/a/\u00e9', 'raw non-ASCII'],
  ['/a b', 'raw space'],
  ['/a/\u0000', 'raw NUL'],
  ['/a/\u007f', 'raw DEL'],
];

const ACCEPTED: Array<[target: string, path: string]> = [
  ['/', '/'],
  ['/rest/api/2/issue?expand=x%2Fy', '/rest/api/2/issue'],
  ['/repo.git/git-upload-pack', '/repo.git/git-upload-pack'],
  ['/a/b.c/..d/e', '/a/b.c/..d/e'],
  ['/files/%20space', '/files/%20space'],
  ['/caf%C3%A9/men%c3%bc', '/caf%C3%A9/men%c3%bc'],
  ['/a/b/', '/a/b/'],
  ['/a/file.', '/a/file.'],
  ["/a/-_~!$&'()*+,=:@", "/a/-_~!$&'()*+,=:@"],
  ['/x?q=a//b;c/../%zz', '/x'],
  // The one legitimate ";": a servlet container's session id, at the very end. The decision judges
  // the path without it, which is the path Tomcat, Jetty and Spring route.
  ['/app/page;jsessionid=0123ABCDEF.node1', '/app/page'],
  ['/app/page;jsessionid=0123ABCDEF?x=1', '/app/page'],
];

describe('request targets read differently by common upstreams (issue 14, finding 9)', () => {
  it('refuses every row of the table', () => {
    for (const [target, why] of [...REFUSED, ...REFUSED_RAW]) {
      const r = checkRequestTarget(target);
      assert.equal(r.ok, false, `${JSON.stringify(target)} must be refused: ${why}`);
      if (!r.ok) assert.ok(r.reason.length > 10, target);
    }
  });

  it('accepts ordinary targets and decides on the path the upstream will route', () => {
    for (const [target, path] of ACCEPTED) {
      const r = checkRequestTarget(target);
      assert.ok(r.ok, `${target}: ${r.ok ? '' : r.reason}`);
      assert.equal(r.path, path, target);
    }
  });

  describe('on a running gateway', () => {
    let t: TestNode;
    let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;

    before(async () => {
      upstream = await startEchoUpstream();
      t = await startTestNode(upstream.url);
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
    });
    after(async () => {
      await t?.close();
      await upstream?.close();
    });

    const send = (
      path: string,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const u = new URL(t.url);
        const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });

    it('the proxy answers 400 to each refused path, and none reaches the upstream', async () => {
      const before = upstream.seen.length;
      for (const [target, why] of REFUSED) {
        const r = await send(target);
        assert.equal(r.status, 400, `${target} (${why}): ${r.body}`);
        assert.match(r.body, /"invalid_request"/, target);
      }
      assert.deepEqual(
        upstream.seen.slice(before).map((s) => s.url),
        [],
        'refused paths reached the upstream',
      );
    });

    it('forward-auth answers 403 to each refused X-Original-URI', async () => {
      for (const [target, why] of REFUSED) {
        const r = await send('/_tokengate/auth', { 'x-original-method': 'GET', 'x-original-uri': target });
        assert.equal(r.status, 403, `${target} (${why}): ${r.body}`);
      }
    });

    it('accepted paths reach the upstream exactly as sent', async () => {
      for (const [target] of ACCEPTED) {
        const before = upstream.seen.length;
        const r = await send(target);
        assert.equal(r.status, 200, `${target}: ${r.body}`);
        assert.equal(upstream.seen[before]?.url, target);
      }
    });
  });
});
