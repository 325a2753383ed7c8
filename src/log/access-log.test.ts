import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combinedTime, formatCombined, formatJson, withoutQuery, type AccessRecord } from './access-log.js';

const RECORD: AccessRecord = {
  time: Date.UTC(2026, 11, 8, 1, 2, 3, 456),
  entrypoint: 'forward_auth',
  clientIp: '2001:db8::1',
  method: 'POST',
  path: '/a b/"c"',
  httpVersion: '1.1',
  status: 401,
  bytes: null,
  referer: 'https://app.example/p?token=tg_secret#frag',
  userAgent: 'agent "x"\n\u00e9',
  requestId: 'r-1',
  user: null,
  tokenId: null,
  upstreamStatus: null,
  authMs: 0.0005,
  upstreamMs: null,
  durationMs: 1.23456,
  traceId: null,
};

describe('access log lines', () => {
  it('combined: fields that would break the line are escaped as nginx does, \\xHH', () => {
    assert.equal(
      formatCombined(RECORD),
      '2001:db8::1 - - [08/Dec/2026:01:02:03 +0000] "POST /a b/\\x22c\\x22 HTTP/1.1" 401 - "https://app.example/p" ' +
        '"agent \\x22x\\x22\\x0a\\xe9" request_id=r-1 token_id=- upstream_status=- auth_ms=0.001 upstream_ms=- ' +
        'request_ms=1.235 trace_id=- entrypoint=forward_auth\n',
    );
  });

  it('combined: a user name with a space stays one field', () => {
    assert.match(formatCombined({ ...RECORD, user: 'ann lee' }), /^2001:db8::1 - ann\\x20lee \[/);
  });

  it('json: one object per line, referer without its query, nulls where nothing applies', () => {
    const line = formatJson(RECORD);
    assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'));
    const r = JSON.parse(line) as Record<string, unknown>;
    assert.equal(r.time, '2026-12-08T01:02:03.456Z');
    assert.equal(r.referer, 'https://app.example/p');
    assert.equal(r.user, null);
    assert.equal(r.upstream_ms, null);
    assert.equal(r.request_ms, 1.235);
    assert.ok(!line.includes('tg_secret'));
  });

  it('time in UTC, day and month as combined writes them', () => {
    assert.equal(combinedTime(Date.UTC(2000, 9, 10, 13, 55, 36)), '10/Oct/2000:13:55:36 +0000');
    assert.equal(withoutQuery('/x?y#z'), '/x');
    assert.equal(withoutQuery('/x#z?y'), '/x');
  });
});
