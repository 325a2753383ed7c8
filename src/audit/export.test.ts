import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord } from '../domain/audit/audit.js';
import { auditCsvHeader, auditCsvRow, parseAuditCsv } from './export.js';

const record: AuditRecord = {
  id: 1,
  seq: 1,
  ts: Date.UTC(2026, 10, 29, 12, 0, 0, 5),
  category: 'authentication',
  action: 'auth.failed',
  summary: '=HYPERLINK("//evil.example/";"click")',
  author: '@cli',
  affectedUser: "'quoted",
  tokenId: null,
  tokenDescription: '-1+2',
  sourceIp: '192.0.2.1',
  proxyIp: null,
  nodeId: 'n1',
  requestId: null,
  method: 'GET',
  endpoint: '/x',
  outcome: 'ip-denied',
  details: null,
  prevHash: '0'.repeat(64),
  hash: 'a'.repeat(64),
};

describe('CSV export and formulas', () => {
  it('neutralises cells a spreadsheet would run, and still parses back to the same record', () => {
    const row = auditCsvRow(record);
    assert.ok(row.includes(`"'=HYPERLINK(""//evil.example/"";""click"")"`), row);
    assert.ok(row.includes("''quoted"));
    assert.ok(row.includes("'-1+2"));
    assert.ok(row.includes("'@cli"));
    assert.deepEqual(parseAuditCsv(auditCsvHeader() + row), [record]);
  });
});
