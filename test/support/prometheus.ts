import assert from 'node:assert/strict';
import { findBinary } from './processes.js';

/** One sample line of a scrape in Prometheus's text exposition format. */
export interface Sample {
  name: string;
  /** As written, escapes kept (`\"`, `\\`, `\n`). */
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g;

/** A scrape's sample lines; a line that is neither a sample, a comment nor empty fails the test. */
export function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not an exposition line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(LABEL)].map((l) => [l[1] ?? '', l[2] ?? '']));
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * promtool's path (TOKENGATE_TEST_PROMTOOL, else PATH or /usr/bin); null when it is not installed,
 * and then the suite skips, except under CI=true where it is required: `purpose` says for what.
 */
export function findPromtool(purpose: string): string | null {
  const found = findBinary('promtool', 'TOKENGATE_TEST_PROMTOOL', ['/usr/bin/promtool']);
  if (found === null && process.env.CI === 'true')
    throw new Error(
      `CI=true and promtool is required ${purpose} but was not found ` +
        '(apt-get install prometheus, or set TOKENGATE_TEST_PROMTOOL)',
    );
  return found;
}
