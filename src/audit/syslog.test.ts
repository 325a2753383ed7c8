import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { AuditRecord } from '../domain/audit/audit.js';
import {
  formatSyslog,
  octetCountedFrame,
  SEVERITY_NOTICE,
  SEVERITY_WARNING,
  SyslogSender,
  syslogSeverity,
  type SyslogFormat,
} from './syslog.js';

const FORMAT: SyslogFormat = {
  appName: 'tokengate',
  hostname: 'gw1.example.test',
  facility: 10,
  procId: '4242',
};

function record(extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: 7,
    seq: 7,
    ts: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    category: 'tokens',
    action: 'token.created',
    summary: 'alice created token "deploy" for bob',
    author: 'alice',
    affectedUser: 'bob',
    tokenId: 'tok_1',
    tokenDescription: 'deploy',
    sourceIp: '203.0.113.7',
    proxyIp: '10.0.0.2',
    nodeId: 'node-a',
    requestId: 'req-1',
    method: 'POST',
    endpoint: '/_tokengate/api/v1/tokens',
    outcome: 'success',
    details: { scope: 'read' },
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    ...extra,
  };
}

/** Resolves with the first `n` values `collect` pushes, or rejects after a generous bound. */
function waitFor<T>(items: T[], n: number, what: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const check = (): void => {
      if (items.length >= n) resolve(items.slice(0, n));
      else if (Date.now() > deadline) reject(new Error(`${what}: got ${items.length} of ${n}`));
      else setTimeout(check, 10);
    };
    check();
  });
}

/** Splits an RFC 6587 octet-counted stream into messages. */
function frameParser(onMessage: (m: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(buf.subarray(0, sp).toString('ascii'));
      assert.ok(Number.isInteger(len) && len > 0, `bad frame length ${buf.subarray(0, sp).toString()}`);
      if (buf.length < sp + 1 + len) return;
      onMessage(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

describe('formatSyslog', () => {
  it('writes the exact RFC 5424 line for a record', () => {
    assert.equal(
      formatSyslog(record(), FORMAT),
      `<85>1 2026-01-02T03:04:05.678Z gw1.example.test tokengate 4242 token.created [tokengate@32473 seq="7" hash="${'b'.repeat(64)}" category="tokens" action="token.created" author="alice" user="bob" token="tok_1" src="203.0.113.7" proxy="10.0.0.2" node="node-a" outcome="success"] alice created token "deploy" for bob`,
    );
  });

  it('computes PRI as facility * 8 + severity: notice, and warning for refused authentications', () => {
    assert.equal(syslogSeverity(record()), SEVERITY_NOTICE);
    const success = record({ category: 'authentication', action: 'auth.success', outcome: 'success' });
    const failed = record({ category: 'authentication', action: 'auth.failed', outcome: 'invalid-token' });
    const denied = record({ category: 'authentication', action: 'auth.denied', outcome: 'read-only' });
    const limited = record({
      category: 'authentication',
      action: 'auth.rate-limited',
      outcome: 'rate-limited',
    });
    assert.equal(syslogSeverity(success), SEVERITY_NOTICE);
    for (const r of [failed, denied, limited]) assert.equal(syslogSeverity(r), SEVERITY_WARNING);
    // A failed settings change is not a refused authentication.
    assert.equal(syslogSeverity(record({ category: 'settings', outcome: 'invalid' })), SEVERITY_NOTICE);

    const pri = (r: AuditRecord, facility: number): string =>
      /^<(\d+)>1 /.exec(formatSyslog(r, { ...FORMAT, facility }))?.[1] ?? '';
    assert.equal(pri(record(), 10), '85'); // authpriv.notice
    assert.equal(pri(failed, 10), '84'); // authpriv.warning
    assert.equal(pri(record(), 0), '5'); // kern.notice
    assert.equal(pri(failed, 4), '36'); // auth.warning
    assert.equal(pri(record(), 23), '189'); // local7.notice
    assert.equal(pri(limited, 16), '132'); // local0.warning
    assert.throws(() => formatSyslog(record(), { ...FORMAT, facility: 24 }), RangeError);
    assert.throws(() => formatSyslog(record(), { ...FORMAT, facility: 1.5 }), RangeError);
  });

  it('escapes ", \\ and ] in SD-PARAM values and leaves the MSG as it is', () => {
    const line = formatSyslog(
      record({ author: 'ev"il\\user]', affectedUser: 'a]b', summary: 'quote " back \\ bracket ] text' }),
      FORMAT,
    );
    assert.match(line, / author="ev\\"il\\\\user\\]" user="a\\]b" /);
    assert.ok(line.endsWith('] quote " back \\ bracket ] text'));
    // The SD element ends at the first unescaped ].
    const sd = /\[tokengate@32473 ((?:[^\]\\]|\\.)*)\]/.exec(line)?.[1];
    assert.ok(sd?.includes('outcome="success"'));
  });

  it('writes NILVALUE - for absent fields and omits an empty MSG', () => {
    const line = formatSyslog(
      record({
        affectedUser: null,
        tokenId: null,
        sourceIp: null,
        proxyIp: null,
        nodeId: null,
        outcome: null,
        summary: '',
      }),
      { ...FORMAT, hostname: '', procId: '' },
    );
    assert.equal(
      line,
      `<85>1 2026-01-02T03:04:05.678Z - tokengate - token.created [tokengate@32473 seq="7" hash="${'b'.repeat(64)}" category="tokens" action="token.created" author="alice" user="-" token="-" src="-" proxy="-" node="-" outcome="-"]`,
    );
  });

  it('keeps header fields printable ASCII and within their lengths, and control characters out', () => {
    const line = formatSyslog(
      record({ action: `x.${'y'.repeat(40)}`, summary: 'line one\nforged <13>1 line\r', author: 'a\tb' }),
      { ...FORMAT, hostname: 'my host', appName: 'tg' },
    );
    const [, , host, app, , msgid] = line.split(' ');
    assert.equal(host, 'my_host');
    assert.equal(app, 'tg');
    assert.equal(msgid, `x.${'y'.repeat(30)}`);
    assert.ok(!/[\r\n\t]/.test(line));
    assert.ok(line.endsWith('] line one forged <13>1 line '));
    assert.match(line, / author="a b" /);
  });

  it('defaults PROCID to the process id and writes UTF-8 without a BOM', () => {
    const { procId: _omit, ...noProc } = FORMAT;
    const line = formatSyslog(record({ summary: 'Jürgen revoked 令牌' }), noProc);
    assert.equal(line.split(' ')[4], String(process.pid));
    const bytes = Buffer.from(line, 'utf8');
    assert.equal(bytes.indexOf(Buffer.from([0xef, 0xbb, 0xbf])), -1);
    assert.ok(line.endsWith('] Jürgen revoked 令牌'));
  });
});

describe('octet counting (RFC 6587)', () => {
  it('prefixes the length in bytes, not characters', () => {
    assert.equal(octetCountedFrame('<85>1 - - - - - -').toString(), '17 <85>1 - - - - - -');
    const frame = octetCountedFrame('héllo 令');
    // 7 characters, 10 bytes.
    assert.equal(frame.toString('utf8'), '10 héllo 令');
    const parsed: string[] = [];
    const feed = frameParser((m) => parsed.push(m));
    const stream = Buffer.concat([frame, octetCountedFrame('a b'), octetCountedFrame('x'.repeat(300))]);
    // Byte by byte: the parser, like a receiver, must not depend on chunk boundaries.
    for (let i = 0; i < stream.length; i++) feed(stream.subarray(i, i + 1));
    assert.deepEqual(parsed, ['héllo 令', 'a b', 'x'.repeat(300)]);
  });
});

describe('SyslogSender', () => {
  it('udp: sends one datagram per message', async () => {
    const server = createSocket('udp4');
    const got: string[] = [];
    server.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const sender = new SyslogSender({ transport: 'udp', host: '127.0.0.1', port: server.address().port });
    try {
      const lines = [
        formatSyslog(record(), FORMAT),
        formatSyslog(record({ seq: 8, summary: 'two' }), FORMAT),
      ];
      await sender.send(lines);
      assert.deepEqual((await waitFor(got, 2, 'datagrams')).sort(), [...lines].sort());
    } finally {
      await sender.close();
      server.close();
    }
  });

  it('tcp: sends octet-counted frames and resolves once they are written', async () => {
    const got: string[] = [];
    const server = createServer((socket) =>
      socket.on(
        'data',
        frameParser((m) => got.push(m)),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sender = new SyslogSender({ transport: 'tcp', host: '127.0.0.1', port });
    try {
      await sender.send(['<85>1 - - - - - - one', '<85>1 - - - - - - tw\u00f6']);
      await sender.send(['<85>1 - - - - - - three']);
      assert.equal(sender.connected, true);
      assert.deepEqual(await waitFor(got, 3, 'frames'), [
        '<85>1 - - - - - - one',
        '<85>1 - - - - - - twö',
        '<85>1 - - - - - - three',
      ]);
      assert.equal(sender.dropped, 0);
    } finally {
      await sender.close();
      server.close();
    }
  });

  it('tcp: buffers while the receiver is down, counts what does not fit, and delivers once it is up', async () => {
    // Take a free port, then free it: connecting is refused until the receiver starts there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const errors: string[] = [];
    const sender = new SyslogSender({
      transport: 'tcp',
      host: '127.0.0.1',
      port,
      maxBuffered: 3,
      minBackoffMs: 10,
      maxBackoffMs: 50,
      onError: (m) => errors.push(m),
    });
    const got: string[] = [];
    const server = createServer((socket) =>
      socket.on(
        'data',
        frameParser((m) => got.push(m)),
      ),
    );
    try {
      const first = sender.send(['m1', 'm2']);
      await assert.rejects(sender.send(['m3', 'm4']), /2 messages are waiting/);
      assert.equal(sender.dropped, 2);
      await waitFor(errors, 1, 'an error report');
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      await first;
      assert.deepEqual(await waitFor(got, 2, 'frames'), ['m1', 'm2']);
      await sender.send(['m5']);
      assert.deepEqual(await waitFor(got, 3, 'frames'), ['m1', 'm2', 'm5']);
      assert.ok(errors.some((e) => /connected again; 2 messages were dropped/.test(e)));
    } finally {
      await sender.close();
      server.close();
    }
  });

  it('tcp: close rejects what is still waiting for a connection', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const sender = new SyslogSender({ transport: 'tcp', host: '127.0.0.1', port, onError: () => undefined });
    const pending = sender.send(['never']);
    await sender.close();
    await assert.rejects(pending, /closed before 1 messages were sent/);
    await assert.rejects(sender.send(['late']), /closed/);
  });
});
