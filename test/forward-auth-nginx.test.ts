import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { requireNginx, startNginx, type NginxHandle } from './support/nginx.js';
import {
  basicAuth,
  cli,
  startEchoUpstream,
  startTestNode,
  type SeenRequest,
  type TestNode,
} from './support/node.js';

const nginx = requireNginx();

const DOC = fileURLToPath(new URL('../docs/forward-auth.md', import.meta.url));
const START = '<!-- nginx-config:start -->';
const END = '<!-- nginx-config:end -->';

/**
 * The nginx configuration of docs/forward-auth.md, read from between its marker comments at test
 * time, so the documentation cannot drift from what is tested here. Nothing in it is changed except
 * the three addresses below (the documented ports become free loopback ports); each must occur
 * exactly once, or the test fails rather than silently test something else.
 */
function documentedNginxConfig(): string {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  assert.ok(from >= 0 && to > from, `${DOC} has no ${START} … ${END} section`);
  const fenced = /```nginx\n([\s\S]*?)\n```/.exec(doc.slice(from + START.length, to));
  assert.ok(fenced?.[1] !== undefined, `the ${START} section holds no \`\`\`nginx block`);
  return fenced[1];
}

const DOCUMENTED = {
  listen: 'listen 80;',
  tokengate: 'server 127.0.0.1:8080;',
  upstream: 'proxy_pass http://127.0.0.1:3000;',
};

function withPorts(conf: string, ports: { nginx: number; tokengate: string; upstream: string }): string {
  const once = (text: string, from: string, to: string): string => {
    const count = text.split(from).length - 1;
    assert.equal(count, 1, `the documented nginx config should contain "${from}" exactly once`);
    return text.replace(from, to);
  };
  let out = once(conf, DOCUMENTED.listen, `listen 127.0.0.1:${ports.nginx};`);
  out = once(out, DOCUMENTED.tokengate, `server ${ports.tokengate};`);
  return once(out, DOCUMENTED.upstream, `proxy_pass http://${ports.upstream};`);
}

/** A well-formed token (valid checksum) that matches no record: a failed token, never a password. */
const FORGED = `tgp_${'A'.repeat(30)}${checksum('A'.repeat(30))}`;

describe(
  'forward-auth behind a real nginx, as docs/forward-auth.md configures it',
  {
    skip: 'skip' in nginx ? nginx.skip : false,
  },
  () => {
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let t: TestNode;
    let proxy: NginxHandle;
    let tokengateClosed = false;
    let write: string;
    let read: string;
    let mark = 0;

    before(async () => {
      up = await startEchoUpstream();
      // Only /_tokengate/auth of this node is used; its own gateway is never reached here.
      t = await startTestNode(null);
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
        username: 'alice',
        groups: ['dev'],
        password: 'alice-password',
      });
      write = (await t.tokenFor('alice', { description: 'deploy job', scope: 'write' })).token;
      read = (await t.tokenFor('alice', { description: 'reader', scope: 'read' })).token;
      const conf = documentedNginxConfig();
      proxy = await startNginx((port) =>
        withPorts(conf, { nginx: port, tokengate: new URL(t.url).host, upstream: new URL(up.url).host }),
      );
    });

    after(async () => {
      await proxy?.close();
      if (!tokengateClosed) await t?.close();
      await up?.close();
    });

    beforeEach(() => {
      up.seen.length = 0;
      mark = t.lines.length;
    });

    const send = (
      path: string,
      init: { method?: string; headers?: Record<string, string>; body?: string } = {},
    ): Promise<Response> =>
      fetch(`${proxy.url}${path}`, {
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    const newLines = async (): Promise<string[]> => {
      await t.node.logs.flush();
      return t.lines.slice(mark).map((l) => l.trimEnd());
    };
    const onlySeen = (): SeenRequest => {
      assert.equal(up.seen.length, 1, 'the upstream saw exactly one request');
      const s = up.seen[0];
      assert.ok(s);
      return s;
    };
    /** The user, request id and client IP of a log line in the default layout. */
    const fields = (line: string): { user: string; requestId: string; ip: string; rest: string } => {
      const m = / INFO (\S+) (\S+) - (\S+) \S+ (\[.*)$/.exec(line);
      assert.ok(m, `not a log line in the default layout: ${line}`);
      return { user: m[1] ?? '', requestId: m[2] ?? '', ip: m[3] ?? '', rest: m[4] ?? '' };
    };

    it('Bearer write token: 200 from the upstream, with the identity from the auth answer and no Authorization', async () => {
      const r = await send('/rest/api/2/myself?expand=groups', {
        method: 'PUT',
        headers: { authorization: `Bearer ${write}` },
        body: '{}',
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-upstream'), 'echo');
      await r.arrayBuffer();
      const s = onlySeen();
      assert.equal(s.method, 'PUT');
      assert.equal(s.url, '/rest/api/2/myself?expand=groups');
      assert.equal(s.headers['x-forwarded-user'], 'alice');
      assert.match(String(s.headers['x-tokengate-token-id']), /^tok_/);
      assert.equal(s.headers['x-tokengate-scope'], 'write');
      assert.equal(s.headers.authorization, undefined, 'the token never reaches the application');
      assert.equal(s.headers['x-forwarded-for'], '127.0.0.1');
      const lines = await newLines();
      assert.equal(lines.length, 2, lines.join('\n'));
      const found = fields(lines[0] ?? '');
      assert.equal(found.user, 'alice');
      assert.equal(found.ip, '127.0.0.1');
      assert.match(
        found.rest,
        /^\[auth\] Found a matching token "deploy job" with Read & Write scope and authenticated user alice\. .* REST endpoint: \/rest\/api\/2\/myself$/,
      );
      // nginx's $request_id reaches tokengate (the subrequest) and the application alike.
      assert.match(found.requestId, /^[0-9a-f]{32}$/);
      assert.equal(s.headers['x-request-id'], found.requestId);
    });

    it('never lets identity headers the client sent reach the upstream', async () => {
      const spoof = {
        'x-forwarded-user': 'admin',
        'x-tokengate-token-id': 'tok_fake',
        'x-tokengate-scope': 'write',
      };
      // No credentials: anonymous (auth.requireAuthentication is off), so nginx lets it through.
      const anon = await send('/x', { headers: spoof });
      assert.equal(anon.status, 200);
      await anon.arrayBuffer();
      let s = onlySeen();
      assert.equal(s.headers['x-forwarded-user'], undefined);
      assert.equal(s.headers['x-tokengate-token-id'], undefined);
      assert.equal(s.headers['x-tokengate-scope'], undefined);

      // A password is passed on to the application's own login, unchanged, still without identity.
      up.seen.length = 0;
      const password = basicAuth('alice', 'alice-password');
      const passed = await send('/x', { headers: { ...spoof, authorization: password } });
      assert.equal(passed.status, 200);
      await passed.arrayBuffer();
      s = onlySeen();
      assert.equal(s.headers.authorization, password);
      assert.equal(s.headers['x-forwarded-user'], undefined);
      assert.equal(s.headers['x-tokengate-scope'], undefined);

      // With a read token, the identity is tokengate's, not the client's.
      up.seen.length = 0;
      const withToken = await send('/x', { headers: { ...spoof, authorization: `Bearer ${read}` } });
      assert.equal(withToken.status, 200);
      await withToken.arrayBuffer();
      s = onlySeen();
      assert.equal(s.headers['x-forwarded-user'], 'alice');
      assert.equal(s.headers['x-tokengate-scope'], 'read');
      assert.notEqual(s.headers['x-tokengate-token-id'], 'tok_fake');
    });

    it('a wrong token gets 401 with WWW-Authenticate, and nothing reaches the upstream', async () => {
      const r = await send('/x', { headers: { authorization: basicAuth('alice', FORGED) } });
      assert.equal(r.status, 401);
      assert.match(String(r.headers.get('www-authenticate')), /Basic realm="tokengate"/);
      await r.arrayBuffer();
      assert.equal(up.seen.length, 0);
      const [line] = await newLines();
      assert.match(
        line ?? '',
        /\[auth\] Token verification for user alice failed: No matching API token was found\. REST endpoint: \/x$/,
      );
    });

    it('a read token may GET but gets 403 for POST, even when the client claims another method', async () => {
      const get = await send('/repo/file', { headers: { authorization: `Bearer ${read}` } });
      assert.equal(get.status, 200);
      await get.arrayBuffer();
      assert.equal(onlySeen().headers['x-tokengate-scope'], 'read');

      up.seen.length = 0;
      mark = t.lines.length;
      const post = await send('/repo/file', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${read}`,
          'content-type': 'text/plain',
          // nginx sets these itself for the auth subrequest; the client's values never count.
          'x-original-method': 'GET',
          'x-original-uri': '/harmless',
          'x-forwarded-method': 'GET',
        },
        body: 'a change',
      });
      assert.equal(post.status, 403);
      await post.arrayBuffer();
      assert.equal(up.seen.length, 0);
      const [line] = await newLines();
      assert.match(
        line ?? '',
        /\[auth\] Token verification for user alice failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests\. Request method type was POST\. REST endpoint: \/repo\/file$/,
      );
    });

    it('sends no body to tokengate, so kept-alive auth connections stay in step', async () => {
      // Were the client's Content-Length passed to the bodiless subrequest, tokengate would take the
      // next subrequest on the same connection for that body and answer 400 (seen as nginx's 500).
      // Small bodies make that show at once.
      const statuses: number[] = [];
      for (const method of ['POST', 'GET', 'PUT', 'GET', 'GET']) {
        const r = await send('/upload', {
          method,
          headers: { authorization: `Bearer ${write}`, 'content-type': 'application/octet-stream' },
          ...(method === 'GET' ? {} : { body: `${method} body` }),
        });
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      assert.deepEqual(
        up.seen.map((s) => s.method),
        ['POST', 'GET', 'PUT', 'GET', 'GET'],
      );
      assert.equal(up.seen[0]?.headers['content-length'], String('POST body'.length));
    });

    it('logs the client IP from X-Forwarded-For only while nginx (127.0.0.1) is a trusted proxy', async () => {
      const headers = { authorization: `Bearer ${write}`, 'x-forwarded-for': '203.0.113.9' };
      const trusted = await send('/ip', { headers });
      assert.equal(trusted.status, 200);
      await trusted.arrayBuffer();
      // nginx appends its client's address (here 127.0.0.1, itself trusted: the test client is on
      // loopback too), so tokengate walks past it to the address the client put in front.
      assert.equal(onlySeen().headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
      assert.equal(fields((await newLines())[0] ?? '').ip, '203.0.113.9');

      await t.settings({ 'auth.trustedProxies': [] });
      try {
        mark = t.lines.length;
        up.seen.length = 0;
        // An nginx that is not trusted is believed about nothing: not the client IP, and not the
        // original method and URI either, so forward-auth refuses rather than judge a guess.
        const untrusted = await send('/ip', { headers });
        assert.equal(untrusted.status, 403);
        await untrusted.arrayBuffer();
        assert.equal(up.seen.length, 0);
        assert.match(
          (await newLines()).join('\n'),
          /from 127\.0\.0\.1, which is not in auth\.trustedProxies/,
        );
      } finally {
        await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
      }
      mark = t.lines.length;
      const plain = await send('/ip', { headers: { authorization: `Bearer ${write}` } });
      assert.equal(plain.status, 200);
      await plain.arrayBuffer();
      assert.equal(fields((await newLines())[0] ?? '').ip, '127.0.0.1');
    });

    it('turns the 500 nginx makes of a 429 back into 429 with Retry-After, as documented', async () => {
      const limited = await t.tokenFor('alice', {
        description: 'limited',
        rateLimit: { requests: 1, windowSeconds: 60 },
      });
      const h = { authorization: `Bearer ${limited.token}` };
      const first = await send('/limited', { headers: h });
      assert.equal(first.status, 200);
      await first.arrayBuffer();
      up.seen.length = 0;
      mark = t.lines.length;

      const second = await send('/limited', { headers: h });
      assert.equal(second.status, 429);
      assert.match(String(second.headers.get('retry-after')), /^(59|60)$/);
      assert.match(String(second.headers.get('content-type')), /^application\/json/);
      const body = (await second.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'rate_limited');
      assert.equal(up.seen.length, 0);
      assert.match(
        (await newLines())[0] ?? '',
        /\[ratelimit\] User alice has been rate limited\. The API token allows executing 1 request/,
      );
      assert.match(proxy.errorLog(), /auth request unexpected status: 429/);
    });

    it('fails closed: with tokengate down, nginx answers 500 and nothing reaches the upstream', async () => {
      tokengateClosed = true;
      await t.close();
      const r = await send('/x', { headers: { authorization: `Bearer ${write}` } });
      assert.equal(r.status, 500);
      const body = (await r.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'internal');
      assert.equal(up.seen.length, 0);
      assert.match(proxy.errorLog(), /auth request unexpected status: 502/);
    });
  },
);
