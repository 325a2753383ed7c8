import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { SETTINGS } from './definitions.js';
import { type JsonSchema, schemaErrors } from './check.js';

const near = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-0, 0, 1, 365, 36_500, 36_501, 1.5, null, true, 'tgp', 'Bad', 'INFO', 'seed', 'x'),
  fc.array(fc.constantFrom('tgp', 'abc1', 'A', '', 'git', 1, null), { maxLength: 25 }),
  fc.array(fc.constant('10.0.0.0/8'), { minLength: 99, maxLength: 102 }),
  fc.dictionary(
    fc.constantFrom('root', 'auth', '__proto__', 'a/b'),
    fc.constantFrom('INFO', 'info', 'OFF', 3),
  ),
);

describe('the settings schema check', () => {
  for (const [key, spec] of Object.entries(SETTINGS)) {
    it(`${key}: agrees with TypeBox's Value.Check`, () => {
      const shapes = [spec.schema, ...('input' in spec ? [spec.input] : [])] as JsonSchema[];
      for (const shape of shapes) {
        const typebox = Type.Unsafe(shape);
        fc.assert(
          fc.property(near, (value) => {
            assert.equal(
              schemaErrors(shape, value).length === 0,
              Value.Check(typebox, value),
              JSON.stringify(value),
            );
          }),
          { numRuns: 400 },
        );
      }
    });
  }

  it('refuses a schema keyword it does not check', () => {
    assert.throws(() => schemaErrors({ type: 'string', minLength: 1 } as JsonSchema, 'x'), /minLength/);
  });
});
