import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { constantTimeEqual, hashToken } from './hash.js';
import { generateToken } from './format.js';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('hashToken', () => {
  it('is the SHA-256 of the token in lower-case hex', () => {
    for (const input of ['', 'abc', generateToken(), 'tgp_ünïcödé', '\u0000']) {
      const h = hashToken(input);
      assert.equal(h, sha256(input));
      assert.match(h, /^[0-9a-f]{64}$/);
    }
  });

  it('matches known SHA-256 vectors', () => {
    assert.equal(hashToken(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('gives different hashes for tokens that differ in one character', () => {
    const t = generateToken();
    const other = t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');
    assert.notEqual(hashToken(t), hashToken(other));
  });
});

describe('constantTimeEqual', () => {
  it('is true for equal strings', () => {
    assert.equal(constantTimeEqual('', ''), true);
    assert.equal(constantTimeEqual('secret', 'secret'), true);
    assert.equal(constantTimeEqual(hashToken('x'), hashToken('x')), true);
  });

  it('is false for strings of the same length that differ', () => {
    assert.equal(constantTimeEqual('secret', 'secreT'), false);
    assert.equal(constantTimeEqual('aecret', 'secret'), false);
  });

  it('is false for different lengths, including a prefix of the other', () => {
    assert.equal(constantTimeEqual('secret', 'secret2'), false);
    assert.equal(constantTimeEqual('secret2', 'secret'), false);
    assert.equal(constantTimeEqual('', 'a'), false);
    assert.equal(constantTimeEqual('a', ''), false);
  });

  it('compares unicode by its UTF-8 bytes', () => {
    assert.equal(constantTimeEqual('pässwörd', 'pässwörd'), true);
    assert.equal(constantTimeEqual('🔑', '🔑'), true);
    // Same text to a reader, different code points: not equal.
    assert.equal(constantTimeEqual('\u00e9', 'e\u0301'), false);
    // Same UTF-8 byte length, different bytes.
    assert.equal(constantTimeEqual('é', 'ab'), false);
    // Same UTF-16 length, different UTF-8 length.
    assert.equal(constantTimeEqual('é', 'e'), false);
    assert.equal(constantTimeEqual('🔑', '🔒'), false);
  });
});
