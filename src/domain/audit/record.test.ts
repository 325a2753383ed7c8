import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from './audit.js';
import { chainContent, chainFieldsJson, eventChainValues, GENESIS_HASH, recordHash } from './chain.js';
import { CHAIN_FIELD_NAMES } from '../../../test/support/audit-fixtures.js';
import { AUDIT_CHAIN_FIELDS, AUDIT_RECORD_FIELDS } from './record.js';

/**
 * The hashed content of existing records must not change: the expected texts and hashes below were
 * computed by the hand-written chainContent/chainFieldsJson before the fields were declared once
 * (issue 16). If this test fails, every existing database's chain would fail to verify.
 */
const full: AuditEvent = {
  ts: 1_700_000_123_456,
  category: 'tokens',
  action: 'token.created',
  summary: 'Created token "ci" (scope read), ünïcode ✓, "quotes", a\nnewline',
  author: 'alice',
  affectedUser: 'bob',
  tokenId: 'tok_AbC123',
  tokenDescription: '=ci, deploy',
  sourceIp: '2001:db8::1',
  proxyIp: '192.0.2.10',
  nodeId: 'node-1:18080',
  requestId: 'req-42',
  method: 'POST',
  endpoint: '/api/v1/tokens',
  outcome: 'success',
  details: { z: 1, a: [2, { d: null, c: 'x' }], m: { b: true, a: 1.5 }, u: undefined },
};

const sparse: AuditEvent = {
  ...full,
  summary: '',
  affectedUser: null,
  tokenId: null,
  tokenDescription: null,
  sourceIp: null,
  proxyIp: null,
  nodeId: null,
  requestId: null,
  method: null,
  endpoint: null,
  outcome: null,
  details: null,
};

const pinned: Array<[string, AuditEvent, string, string, string]> = [
  [
    'every field set',
    full,
    '[1700000123456,"tokens","token.created","Created token \\"ci\\" (scope read), ünïcode ✓, \\"quotes\\", a\\nnewline","alice","bob","tok_AbC123","=ci, deploy","2001:db8::1","192.0.2.10","node-1:18080","req-42","POST","/api/v1/tokens","success","{\\"a\\":[2,{\\"c\\":\\"x\\",\\"d\\":null}],\\"m\\":{\\"a\\":1.5,\\"b\\":true},\\"z\\":1}"]',
    'fa1db742b59da246299cb82b4f817a23b5b327cdb09355bc019433562a437696',
    '3565538e30a30f21a18dfb4ad5c13d997aa6d52c746877099083eade9012d81d',
  ],
  [
    'nullable fields null',
    sparse,
    '[1700000123456,"tokens","token.created","","alice",null,null,null,null,null,null,null,null,null,null,null]',
    '656f1890744ee5a4f089a64e12cf34c644a9f8084db9972bcea15b9e7e470d9e',
    'b3c07f3e592c1b535e3bad5e3af3bace3ca4d2652d03b27fc9343d139f501827',
  ],
];

describe('audit record fields', () => {
  for (const [name, event, json, first, second] of pinned) {
    it(`hashes a record exactly as before the fields were declared once: ${name}`, () => {
      const content = chainContent(event);
      assert.equal(chainFieldsJson(content), json);
      assert.equal(recordHash(GENESIS_HASH, content), first);
      assert.equal(recordHash(first, content), second);
      // The append path builds the same text without the content object.
      const { values, detailsText } = eventChainValues(event);
      assert.equal(JSON.stringify(values), json);
      assert.equal(detailsText, content.detailsText);
    });
  }

  it('declares each name, column and view name once, the hashed fields in the chain order', () => {
    for (const key of ['name', 'column', 'view'] as const) {
      const names = AUDIT_RECORD_FIELDS.map((f) => f[key]);
      assert.equal(new Set(names).size, names.length, key);
    }
    assert.deepEqual(
      AUDIT_CHAIN_FIELDS.map((f) => f.name),
      CHAIN_FIELD_NAMES,
    );
  });
});
