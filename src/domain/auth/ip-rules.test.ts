import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CIDR_ENTRIES, compileIpMatcher, normalizeCidr, normalizeCidrList, parseIp } from './ip-rules.js';
import type { Result } from '../result.js';

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, r.ok ? '' : `expected ok, got error: ${r.error}`);
  return r.value;
}

function error<T>(r: Result<T>): string {
  assert.ok(!r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('normalizeCidr', () => {
  it('turns a bare IPv4 address into /32', () => {
    assert.equal(value(normalizeCidr('192.0.2.7')), '192.0.2.7/32');
    assert.equal(value(normalizeCidr('  192.0.2.7 ')), '192.0.2.7/32');
  });

  it('turns a bare IPv6 address into /128 in canonical compressed form', () => {
    assert.equal(value(normalizeCidr('2001:db8::1')), '2001:db8::1/128');
    assert.equal(value(normalizeCidr('2001:DB8:0:0:0:0:0:1')), '2001:db8::1/128');
    assert.equal(
      value(normalizeCidr('2001:0db8:0000:0000:0000:ff00:0042:8329')),
      '2001:db8::ff00:42:8329/128',
    );
    assert.equal(value(normalizeCidr('::1')), '::1/128');
  });

  it('canonicalizes IPv6 ranges', () => {
    assert.equal(value(normalizeCidr('2001:0DB8:0000::/32')), '2001:db8::/32');
    assert.equal(value(normalizeCidr('::/0')), '::/0');
    assert.equal(value(normalizeCidr('fd00:0:0:0::/8')), 'fd00::/8');
  });

  it('keeps canonical IPv4 ranges, including /0 and /32', () => {
    assert.equal(value(normalizeCidr('10.0.0.0/8')), '10.0.0.0/8');
    assert.equal(value(normalizeCidr('0.0.0.0/0')), '0.0.0.0/0');
    assert.equal(value(normalizeCidr('192.0.2.7/32')), '192.0.2.7/32');
  });

  it('turns IPv4-mapped IPv6 into IPv4', () => {
    assert.equal(value(normalizeCidr('::ffff:10.1.2.3')), '10.1.2.3/32');
    assert.equal(value(normalizeCidr('::ffff:10.0.0.0/104')), '10.0.0.0/8');
    assert.equal(value(normalizeCidr('::ffff:10.1.2.3/128')), '10.1.2.3/32');
  });

  it('refuses host bits set and suggests the network', () => {
    const e4 = error(normalizeCidr('10.1.2.3/8'));
    assert.match(e4, /host bits/);
    assert.match(e4, /did you mean 10\.0\.0\.0\/8\?/);
    const e6 = error(normalizeCidr('2001:db8::1/32'));
    assert.match(e6, /did you mean 2001:db8::\/32\?/);
    const mapped = error(normalizeCidr('::ffff:10.1.2.3/104'));
    assert.match(mapped, /did you mean 10\.0\.0\.0\/8\?/);
  });

  it('refuses garbage', () => {
    for (const bad of [
      'not-an-ip',
      '10.0.0.256',
      '1.2.3.4.5',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/',
      '/8',
      '10.0.0.0/8/8',
      '10.0.0.0/-1',
      '2001:db8:::1',
      'localhost',
    ]) {
      const e = error(normalizeCidr(bad));
      assert.match(e, /is not an IP address or CIDR range/, bad);
    }
  });

  it('refuses empty input', () => {
    assert.match(error(normalizeCidr('')), /is not an IP address or CIDR range/);
    assert.match(error(normalizeCidr('   ')), /is not an IP address or CIDR range/);
  });

  it('refuses input longer than 64 characters and quotes at most 64 of them', () => {
    const long = `${'1'.repeat(60)}abcdefgh`;
    const e = error(normalizeCidr(long));
    assert.match(e, /is not an IP address or CIDR range/);
    assert.ok(!e.includes(long), 'the whole over-long input is echoed');
    assert.ok(e.includes(long.slice(0, 64)));
  });
});

describe('normalizeCidrList', () => {
  it('canonicalizes and removes duplicates, keeping the first order', () => {
    assert.deepEqual(
      value(normalizeCidrList(['10.0.0.1', '2001:db8::/32', '10.0.0.1/32', ' 10.0.0.1 ', '::ffff:10.0.0.1'])),
      ['10.0.0.1/32', '2001:db8::/32'],
    );
  });

  it('accepts an empty list', () => {
    assert.deepEqual(value(normalizeCidrList([])), []);
  });

  it('returns the first problem', () => {
    const e = error(normalizeCidrList(['10.0.0.0/8', 'bogus', '10.1.2.3/8']));
    assert.match(e, /"bogus"/);
  });

  it(`accepts ${MAX_CIDR_ENTRIES} entries and refuses more`, () => {
    assert.equal(MAX_CIDR_ENTRIES, 100);
    const hundred = Array.from({ length: 100 }, (_, i) => `10.0.${i}.0/24`);
    assert.equal(value(normalizeCidrList(hundred)).length, 100);
    const e = error(normalizeCidrList([...hundred, '10.1.0.0/24']));
    assert.match(e, /at most 100 entries/);
    // Duplicates still count: a list that long is refused before it is read.
    assert.match(error(normalizeCidrList(Array.from({ length: 101 }, () => '10.0.0.1'))), /at most 100/);
  });
});

describe('compileIpMatcher', () => {
  it('allows every address, even garbage, when the list is empty', () => {
    const m = compileIpMatcher([]);
    assert.equal(m.allowsAll, true);
    for (const ip of ['10.0.0.1', '2001:db8::1', 'garbage', '']) assert.equal(m.matches(ip), true);
  });

  it('matches every IPv4 address with 0.0.0.0/0 but is not "allows all"', () => {
    const m = compileIpMatcher(['0.0.0.0/0']);
    assert.equal(m.allowsAll, false);
    for (const ip of ['0.0.0.0', '10.1.2.3', '128.0.0.1', '255.255.255.255'])
      assert.equal(m.matches(ip), true, ip);
    assert.equal(m.matches('2001:db8::1'), false);
  });

  it('matches exactly one address with /32', () => {
    const m = compileIpMatcher(['192.0.2.7/32']);
    assert.equal(m.matches('192.0.2.7'), true);
    assert.equal(m.matches('192.0.2.6'), false);
    assert.equal(m.matches('192.0.2.8'), false);
  });

  it('respects range boundaries, including addresses with the top bit set', () => {
    const m = compileIpMatcher(['192.0.2.0/24', '200.0.0.0/8']);
    assert.equal(m.matches('192.0.2.0'), true);
    assert.equal(m.matches('192.0.2.255'), true);
    assert.equal(m.matches('192.0.1.255'), false);
    assert.equal(m.matches('192.0.3.0'), false);
    assert.equal(m.matches('200.255.255.255'), true);
    assert.equal(m.matches('201.0.0.0'), false);
    assert.equal(m.matches('199.255.255.255'), false);
  });

  it('matches IPv6 ranges', () => {
    const m = compileIpMatcher(['2001:db8::/32', '::1/128']);
    assert.equal(m.matches('2001:db8::1'), true);
    assert.equal(m.matches('2001:db8:ffff:ffff::1'), true);
    assert.equal(m.matches('2001:DB8::abcd'), true);
    assert.equal(m.matches('2001:db9::1'), false);
    assert.equal(m.matches('::1'), true);
    assert.equal(m.matches('::2'), false);
    assert.equal(m.matches('10.0.0.1'), false);
  });

  it('matches ::/0 for every IPv6 address', () => {
    const m = compileIpMatcher(['::/0']);
    assert.equal(m.matches('2001:db8::1'), true);
    assert.equal(m.matches('fe80::1'), true);
  });

  it('treats an IPv4-mapped client address as IPv4', () => {
    const m = compileIpMatcher(['10.0.0.0/8']);
    assert.equal(m.matches('::ffff:10.1.2.3'), true);
    assert.equal(m.matches('::ffff:11.1.2.3'), false);
  });

  it('never matches an invalid client IP', () => {
    const m = compileIpMatcher(['0.0.0.0/0', '::/0']);
    for (const ip of ['', 'garbage', '10.0.0.256', '1.2.3.4.5', '10.0.0.1:80', '[::1]', '2001:db8:::1']) {
      assert.equal(m.matches(ip), false, JSON.stringify(ip));
    }
  });

  it('mixes IPv4 and IPv6 entries', () => {
    const m = compileIpMatcher(['10.0.0.0/8', '2001:db8::/32']);
    assert.equal(m.matches('10.9.9.9'), true);
    assert.equal(m.matches('2001:db8::9'), true);
    assert.equal(m.matches('11.0.0.1'), false);
    assert.equal(m.matches('2001:db9::9'), false);
  });
});

describe('non-standard IPv4 spellings', () => {
  it('refuses octal, hex, short and bare-number forms instead of reinterpreting them', () => {
    for (const text of ['010.1.2.3', '0x0a.1.2.3', '1', '12345', '10.1', '10/8', '10.0.0.0/08x']) {
      assert.equal(normalizeCidr(text).ok, false, text);
    }
    assert.equal(parseIp('010.1.2.3'), null);
    assert.equal(parseIp('1'), null);
    assert.equal(parseIp('10.1.2.3')?.toString(), '10.1.2.3');
  });
});
