import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Progress } from '../src/cli/commands/audit.js';

/** The progress line `tokengate audit export` draws on stderr, with a fake clock and stream. */

describe('export progress line', () => {
  function fake(isTTY: boolean) {
    const writes: string[] = [];
    let t = 1_000;
    return {
      writes,
      stream: { isTTY, write: (s: string) => writes.push(s) },
      clock: { now: () => t, advance: (ms: number) => (t += ms) },
    };
  }

  it('redraws at most every 200 ms on a terminal and is erased at the end', () => {
    const f = fake(true);
    const p = new Progress(f.stream, (n) => `exporting: ${n} records written`, f.clock.now);
    p.update(1);
    f.clock.advance(199);
    p.update(2);
    assert.deepEqual(f.writes, [], 'nothing before the first interval');
    f.clock.advance(1);
    p.update(3);
    f.clock.advance(150);
    p.update(4);
    f.clock.advance(50);
    p.update(5);
    p.clear();
    assert.deepEqual(f.writes, [
      '\r\x1b[Kexporting: 3 records written',
      '\r\x1b[Kexporting: 5 records written',
      '\r\x1b[K',
    ]);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const f = fake(false);
    const p = new Progress(f.stream, (n) => `${n}`, f.clock.now);
    for (let i = 0; i < 10; i++) {
      f.clock.advance(500);
      p.update(i);
    }
    p.clear();
    assert.deepEqual(f.writes, []);
  });
});
