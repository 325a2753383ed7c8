/**
 * Issue 14, finding 12 (the audit part): the audit file, its rotated copies and the anchor file are
 * for the service user only: created 0600 in a 0700 directory, whatever the process umask allows.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditFile } from '../src/audit/audit-file.js';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { systemContext } from '../src/services/context.js';
import { startTestNode } from './support/node.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

function record(seq: number): AuditRecord {
  return {
    id: seq,
    seq,
    ts: Date.now(),
    category: 'tokens',
    action: 'token.created',
    summary: `record ${seq} ${'x'.repeat(200)}`,
    author: 'admin',
    affectedUser: 'erin',
    tokenId: null,
    tokenDescription: null,
    sourceIp: '127.0.0.1',
    proxyIp: null,
    nodeId: 'n',
    requestId: null,
    method: null,
    endpoint: null,
    outcome: 'success',
    details: null,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  };
}

describe('audit file modes (issue 14, finding 12)', () => {
  let root: string;
  let umask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tg-audit-modes-'));
    // The usual umask: without care, files come out 0644 and directories 0755.
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates audit.jsonl and every rotated copy 0600 in a 0700 directory', async () => {
    const dir = join(root, 'file', 'audit');
    // 1 KB per file: a few records each, so the writes below rotate several times.
    const file = new AuditFile({ dir, maxSizeMb: 1 / 1024, maxFiles: 3, onError: () => undefined });
    try {
      for (let i = 1; i <= 12; i++) await file.write([record(i)]);
    } finally {
      await file.close();
    }
    assert.equal(mode(dir), '700', 'the audit directory');
    const names = readdirSync(dir).filter((n) => n.startsWith('audit.jsonl'));
    assert.ok(names.includes('audit.jsonl.1'), `rotated: ${names.join(', ')}`);
    for (const n of names) assert.equal(mode(join(dir, n)), '600', n);
  });

  it("a node's audit file and anchor file are 0600, their directory 0700", async () => {
    const t = await startTestNode(null, (c) => {
      c.audit.file.enabled = true;
      Object.assign(c.audit, { anchorIntervalSeconds: 1 });
    });
    try {
      await t.node.ctx.tokens.create(CLI_PRINCIPAL, systemContext('@cli'), 'admin', {
        description: 'modes',
        scope: 'read',
      });
      await t.node.runtime.auditQueue.flush();
      const dir = join(t.dir, 'audit');
      const files = [join(dir, 'audit.jsonl'), join(dir, 'anchors.jsonl')];
      for (let i = 0; i < 50 && !files.every((f) => existsSync(f)); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(mode(dir), '700', 'the audit directory');
      for (const f of files) {
        assert.ok(existsSync(f), `${f} exists`);
        assert.equal(mode(f), '600', f);
      }
    } finally {
      await t.close();
    }
  });
});
