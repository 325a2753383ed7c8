import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../domain/errors.js';
import { CliError } from './exit-codes.js';
import { serverUrl } from './server-url.js';

describe('serverUrl: the server of remote mode', () => {
  it('keeps the origin and a path prefix, dropping a trailing slash and the API path', () => {
    assert.equal(serverUrl('https://gw.example.com:8443/', false), 'https://gw.example.com:8443');
    assert.equal(serverUrl('https://gw.example.com/_tokengate/api/v1', false), 'https://gw.example.com');
    assert.equal(
      serverUrl('https://gw.example.com/tg/_tokengate/api/v1/', false),
      'https://gw.example.com/tg',
    );
  });

  it('allows http:// on loopback only, unless allowHttp', () => {
    for (const ok of [
      'http://127.0.0.1:8081',
      'http://localhost:8081',
      'http://[::1]:8081',
      'http://127.1.2.3',
    ])
      assert.equal(serverUrl(ok, false), ok);
    for (const bad of ['http://gw.example.com', 'http://10.0.0.5:8081', 'http://128.0.0.1', 'http://[::2]']) {
      assert.throws(
        () => serverUrl(bad, false),
        (e: unknown) => e instanceof CliError && e.exitClass === 'usage' && /plain http/.test(e.message),
        bad,
      );
      assert.equal(serverUrl(bad, true), new URL(bad).origin);
    }
  });

  it('refuses what is no server URL, naming --server', () => {
    for (const bad of [
      'gw.example.com',
      'ftp://gw.example.com',
      'https://u:p@gw.example.com',
      'https://gw?x=1',
    ])
      assert.throws(
        () => serverUrl(bad, false),
        (e: unknown) => e instanceof AppError && e.code === 'invalid_request' && /--server/.test(e.message),
        bad,
      );
  });
});
