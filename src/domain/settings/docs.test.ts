import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SETTING_DEFINITIONS } from '../settings.js';

const DOC = new URL('../../../docs/configuration.md', import.meta.url);

/** The rows of the table under "### Reference" in "## Runtime settings": key and default cells. */
function referenceRows(markdown: string): Array<{ key: string; defaultCell: string }> {
  const section = markdown.split(/^## Runtime settings$/m)[1]?.split(/^## /m)[0] ?? '';
  const reference = section.split(/^### Reference$/m)[1]?.split(/^### /m)[0] ?? '';
  // The first table of the section: its lines from the first that starts with "|" to the blank line.
  const lines = reference.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  const table = lines.slice(start, end === -1 ? undefined : end).map((line) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim()),
  );
  const [header, rule, ...rows] = table;
  assert.deepEqual(
    header?.slice(0, 3),
    ['Key', 'Type', 'Default'],
    'the reference table has moved or changed',
  );
  assert.match(rule?.[0] ?? '', /^-+$/);
  return rows.map((cells) => ({
    key: (cells[0] ?? '').replace(/^`(.*)`$/, '$1'),
    defaultCell: cells[2] ?? '',
  }));
}

describe('docs/configuration.md, runtime settings reference', () => {
  const rows = referenceRows(readFileSync(DOC, 'utf8'));

  it('lists exactly the settings, in the order of their definitions', () => {
    assert.deepEqual(
      rows.map((r) => r.key),
      SETTING_DEFINITIONS.map((d) => d.key),
    );
  });

  it("gives each setting's default, as JSON", () => {
    for (const d of SETTING_DEFINITIONS) {
      const row = rows.find((r) => r.key === d.key);
      assert.ok(row, d.key);
      const cell = /^`(.*)`$/.exec(row.defaultCell)?.[1];
      assert.ok(cell !== undefined, `${d.key}: the default cell ${row.defaultCell} is not one code span`);
      assert.deepEqual(JSON.parse(cell) as unknown, d.default, d.key);
    }
  });
});
