import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_SCHEMA_FILE, apiSchemaSource } from '../scripts/openapi.js';

/**
 * The web client's API types (web/src/api-schema.d.ts) are generated from the management API's
 * OpenAPI document: a route whose schema changed without regenerating them fails here.
 */
describe('web/src/api-schema.d.ts', () => {
  it('is what the OpenAPI document generates', { timeout: 60_000 }, async () => {
    const committed = readFileSync(API_SCHEMA_FILE, 'utf8');
    const generated = await apiSchemaSource();
    if (committed === generated) return;
    const a = committed.split('\n');
    const b = generated.split('\n');
    const differs = a.findIndex((l, i) => l !== b[i]);
    const line = differs === -1 ? a.length : differs;
    assert.fail(
      `web/src/api-schema.d.ts is out of date with the OpenAPI document (first difference at line ${line + 1}: ` +
        `${JSON.stringify(a[line] ?? '')} committed, ${JSON.stringify(b[line] ?? '')} generated): run npm run gen:api`,
    );
  });
});
