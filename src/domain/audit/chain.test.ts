import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  ChainVerifier,
  GENESIS_HASH,
  recordHash,
  type ChainContent,
  type ChainRow,
} from './chain.js';

function content(i: number, extra: Partial<ChainContent> = {}): ChainContent {
  return {
    ts: 1_700_000_000_000 + i,
    category: 'tokens',
    action: 'token.created',
    summary: `record ${i}`,
    author: 'alice',
    affectedUser: 'alice',
    tokenId: `tok_${i}`,
    tokenDescription: null,
    sourceIp: '192.0.2.1',
    proxyIp: null,
    nodeId: 'n1',
    requestId: null,
    method: null,
    endpoint: null,
    outcome: 'success',
    detailsText: canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }),
    ...extra,
  };
}

function chain(n: number, start = { seq: 0, hash: GENESIS_HASH }): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = start.hash;
  for (let i = 1; i <= n; i++) {
    const c = content(start.seq + i);
    const hash = recordHash(prev, c);
    rows.push({ ...c, seq: start.seq + i, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

function verify(
  rows: ChainRow[],
  head: { seq: number; hash: string } | null,
  start = { seq: 0, hash: GENESIS_HASH },
  page = 3,
) {
  const v = new ChainVerifier(start);
  for (let i = 0; i < rows.length; i += page) if (!v.feed(rows.slice(i, i + page))) break;
  return { problem: v.finish(head), checked: v.checked };
}

const headOf = (rows: ChainRow[]) => ({
  seq: rows[rows.length - 1]?.seq ?? 0,
  hash: rows[rows.length - 1]?.hash ?? GENESIS_HASH,
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }),
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson('x"y'), '"x\\"y"');
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain, in any page size', () => {
    const rows = chain(10);
    for (const page of [1, 3, 10, 50]) {
      const r = verify(rows, headOf(rows), undefined, page);
      assert.equal(r.problem, null);
      assert.equal(r.checked, 10);
    }
    assert.equal(verify([], null).problem, null);
  });

  it('finds a modified record', () => {
    const rows = chain(6);
    rows[3] = { ...(rows[3] as ChainRow), summary: 'rewritten history' };
    assert.deepEqual(verify(rows, headOf(rows)).problem?.kind, 'modified');
    assert.equal(verify(rows, headOf(rows)).problem?.seq, 4);
  });

  it('finds a deleted record, with or without the gap renumbered', () => {
    const rows = chain(6);
    const gap = rows.filter((r) => r.seq !== 3);
    assert.deepEqual(
      [verify(gap, headOf(rows)).problem?.kind, verify(gap, headOf(rows)).problem?.seq],
      ['deleted', 3],
    );
    const renumbered = gap.map((r) => (r.seq > 3 ? { ...r, seq: r.seq - 1 } : r));
    assert.deepEqual(
      [
        verify(renumbered, headOf(renumbered)).problem?.kind,
        verify(renumbered, headOf(renumbered)).problem?.seq,
      ],
      ['deleted', 3],
    );
  });

  it('finds reordered records', () => {
    const rows = chain(6);
    const a = rows[2] as ChainRow;
    const b = rows[3] as ChainRow;
    const swapped = [...rows];
    swapped[2] = { ...b, seq: 3 };
    swapped[3] = { ...a, seq: 4 };
    const p = verify(swapped, headOf(rows)).problem;
    assert.deepEqual([p?.kind, p?.seq], ['reordered', 3]);
  });

  it('finds the newest records deleted, by the chain head', () => {
    const rows = chain(6);
    const p = verify(rows.slice(0, 4), headOf(rows)).problem;
    assert.deepEqual([p?.kind, p?.seq], ['deleted', 5]);
  });

  it('continues from a checkpoint after a purge, and notices a purge without one', () => {
    const rows = chain(8);
    const cp = rows[2] as ChainRow;
    const kept = rows.slice(3);
    assert.equal(verify(kept, headOf(rows), { seq: cp.seq, hash: cp.hash }).problem, null);
    const p = verify(kept, headOf(rows)).problem;
    assert.deepEqual([p?.kind, p?.seq], ['deleted', 1]);
  });
});
