import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileIpMatcher } from './ip-rules.js';
import { normalizeSocketIp, resolveClientAddress } from './client-ip.js';

const TRUSTED = compileIpMatcher(['10.0.0.0/8', '2001:db8:ffff::/48']);
const NOBODY = compileIpMatcher([]);

describe('normalizeSocketIp', () => {
  it('turns IPv4-mapped IPv6 into IPv4 and leaves the rest', () => {
    assert.equal(normalizeSocketIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeSocketIp('10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeSocketIp('2001:db8::1'), '2001:db8::1');
    assert.equal(normalizeSocketIp('::ffff:a00:1'), '::ffff:a00:1');
  });

  it('gives 0.0.0.0 when the socket has no address', () => {
    assert.equal(normalizeSocketIp(undefined), '0.0.0.0');
    assert.equal(normalizeSocketIp(''), '0.0.0.0');
  });
});

describe('resolveClientAddress', () => {
  it('ignores X-Forwarded-For from an untrusted peer', () => {
    assert.deepEqual(resolveClientAddress('203.0.113.9', '198.51.100.7', TRUSTED), {
      clientIp: '203.0.113.9',
      proxyIp: null,
    });
  });

  it('ignores X-Forwarded-For when no proxy is trusted at all', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', '198.51.100.7', NOBODY), {
      clientIp: '10.0.0.2',
      proxyIp: null,
    });
  });

  it('takes the rightmost untrusted hop from a trusted peer, ignoring what the client put further left', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', '6.6.6.6, 198.51.100.7', TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
  });

  it('skips a chain of several trusted proxies', () => {
    assert.deepEqual(
      resolveClientAddress(
        '10.0.0.2',
        '6.6.6.6, 198.51.100.7, 10.9.0.1, 2001:db8:ffff::5, 10.0.0.3',
        TRUSTED,
      ),
      { clientIp: '198.51.100.7', proxyIp: '10.0.0.2' },
    );
  });

  it('takes the leftmost hop when every hop is trusted', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', '10.0.0.7, 10.0.0.3', TRUSTED), {
      clientIp: '10.0.0.7',
      proxyIp: '10.0.0.2',
    });
  });

  it('stops at a garbage hop and keeps the last trusted address', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', '198.51.100.7, not-an-ip, 10.0.0.3', TRUSTED), {
      clientIp: '10.0.0.3',
      proxyIp: '10.0.0.2',
    });
    assert.deepEqual(resolveClientAddress('10.0.0.2', '198.51.100.7, unknown', TRUSTED), {
      clientIp: '10.0.0.2',
      proxyIp: '10.0.0.2',
    });
    // A port is not garbage: 10.0.0.3:8080 is the trusted 10.0.0.3, so the walk goes on.
    assert.deepEqual(resolveClientAddress('10.0.0.2', '198.51.100.7, 10.0.0.3:8080', TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
  });

  it('skips empty hops', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', ' 198.51.100.7 ,, ,', TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
    assert.deepEqual(resolveClientAddress('10.0.0.2', '198.51.100.7, , 10.0.0.3', TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
  });

  it('treats an empty header from a trusted peer as naming no client', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', '', TRUSTED), {
      clientIp: '10.0.0.2',
      proxyIp: '10.0.0.2',
    });
  });

  it('reads a header given as an array, in order', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', ['6.6.6.6, 198.51.100.7', '10.0.0.3'], TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
    assert.deepEqual(resolveClientAddress('10.0.0.2', ['198.51.100.7', '203.0.113.1'], TRUSTED), {
      clientIp: '203.0.113.1',
      proxyIp: '10.0.0.2',
    });
  });

  it('normalizes an IPv4-mapped peer before deciding whether it is trusted', () => {
    assert.deepEqual(resolveClientAddress('::ffff:10.0.0.2', '198.51.100.7', TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
    assert.deepEqual(resolveClientAddress('::ffff:203.0.113.9', '198.51.100.7', TRUSTED), {
      clientIp: '203.0.113.9',
      proxyIp: null,
    });
  });

  it('normalizes IPv4-mapped hops', () => {
    assert.deepEqual(resolveClientAddress('10.0.0.2', '::ffff:198.51.100.7, ::ffff:10.0.0.3', TRUSTED), {
      clientIp: '198.51.100.7',
      proxyIp: '10.0.0.2',
    });
  });

  it('handles IPv6 peers and clients', () => {
    assert.deepEqual(resolveClientAddress('2001:db8:ffff::1', '2001:db8:1::42', TRUSTED), {
      clientIp: '2001:db8:1::42',
      proxyIp: '2001:db8:ffff::1',
    });
    assert.deepEqual(resolveClientAddress('2001:db8:1::1', '198.51.100.7', TRUSTED), {
      clientIp: '2001:db8:1::1',
      proxyIp: null,
    });
  });

  it('sets proxyIp to the peer only when the peer is trusted', () => {
    assert.equal(resolveClientAddress('10.0.0.2', '198.51.100.7', TRUSTED).proxyIp, '10.0.0.2');
    assert.equal(resolveClientAddress('11.0.0.2', '198.51.100.7', TRUSTED).proxyIp, null);
    assert.equal(resolveClientAddress('198.51.100.7', undefined, TRUSTED).proxyIp, null);
    assert.equal(resolveClientAddress(undefined, '198.51.100.7', TRUSTED).proxyIp, null);
  });

  it('uses 0.0.0.0 for a socket without an address', () => {
    assert.deepEqual(resolveClientAddress(undefined, undefined, TRUSTED), {
      clientIp: '0.0.0.0',
      proxyIp: null,
    });
  });
});

describe('X-Forwarded-For entries with ports', () => {
  it('reads 1.2.3.4:567 and [v6]:port as their addresses', () => {
    const trusted = compileIpMatcher(['10.0.0.0/8']);
    assert.equal(resolveClientAddress('10.0.0.2', '198.51.100.7:51234', trusted).clientIp, '198.51.100.7');
    assert.equal(resolveClientAddress('10.0.0.2', '[2001:db8::5]:443', trusted).clientIp, '2001:db8::5');
    assert.equal(resolveClientAddress('10.0.0.2', '[2001:db8::6]', trusted).clientIp, '2001:db8::6');
  });
});
