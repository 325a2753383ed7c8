import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import AjvModule from 'ajv';
import fc from 'fast-check';
import {
  applySettingsChange,
  defaultSettings,
  SETTING_DEFINITIONS,
  settingsFromStored,
  type SettingDefinition,
} from './settings.js';

const RUNS = 150;

const Ajv = AjvModule.default;
const ajv = new Ajv({ strict: false, allErrors: true });

/** Strings that some setting accepts, so the accepting branch of every key gets exercised too. */
const NEAR_VALID_STRINGS = [
  'tgp',
  'abc1',
  '*',
  'admin',
  'dev-ops',
  'git',
  'GET /x/*',
  'POST /repo/**/git-upload-pack',
  '10.0.0.0/8',
  '192.0.2.7',
  '::1',
  '2001:db8::/32',
  '::ffff:10.0.0.0/104',
  'root',
  'auth.filter',
  'INFO',
  'debug',
  'OFF',
];

const nearString = fc.oneof(
  fc.constantFrom(...NEAR_VALID_STRINGS),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const nearNumber = fc.oneof(
  fc.integer({ min: -2, max: 400 }),
  fc.constantFrom(
    0,
    1,
    20,
    36_500,
    36_501,
    86_400,
    1_000_000,
    1_000_001,
    1e9,
    1.5,
    -0,
    Number.MAX_SAFE_INTEGER,
  ),
);

/** Values near what the key's schema describes, plus arbitrary JSON. */
function valuesFor(d: SettingDefinition): fc.Arbitrary<unknown> {
  const near: Array<fc.Arbitrary<unknown>> = [fc.jsonValue({ maxDepth: 3 }), fc.constant(null)];
  const type = d.schema.type;
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('boolean')) near.push(fc.boolean());
  if (types.includes('integer')) near.push(nearNumber);
  if (types.includes('string')) near.push(nearString);
  if (types.includes('array')) near.push(fc.array(nearString, { maxLength: 6 }));
  if (types.includes('object')) {
    near.push(
      fc.dictionary(
        fc.oneof(fc.constantFrom('root', 'auth', 'api', '__proto__', 'constructor'), nearString),
        nearString,
        {
          maxKeys: 4,
        },
      ),
    );
  }
  return fc.oneof(...near);
}

describe('setting values (properties)', () => {
  for (const d of SETTING_DEFINITIONS) {
    it(`${d.key}: any JSON value is accepted and round-trips, or refused with a message`, () => {
      const validate = ajv.compile(d.schema);
      fc.assert(
        fc.property(valuesFor(d), (value) => {
          const r = d.parse(value);
          if (!r.ok) {
            assert.equal(typeof r.error, 'string');
            assert.ok(r.error.length > 0);
            return;
          }
          // Canonical: parsing the stored form (after a trip through JSON, as the database keeps it)
          // gives the same value back.
          const stored = JSON.parse(JSON.stringify(r.value)) as unknown;
          assert.deepEqual(d.parse(stored), r);
          // What is accepted also fits the schema the API documents and renders responses with.
          assert.ok(validate(r.value), `${JSON.stringify(r.value)}: ${ajv.errorsText(validate.errors)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('a change to any key either applies or names the key in a problem; it never throws', () => {
    const keyed = fc.oneof(
      ...SETTING_DEFINITIONS.map((d) => valuesFor(d).map((value) => ({ key: d.key, value }))),
      fc.record({ key: fc.string({ maxLength: 20 }), value: fc.jsonValue({ maxDepth: 2 }) }),
    );
    fc.assert(
      fc.property(keyed, ({ key, value }) => {
        const change = Object.fromEntries([[key, value]]) as Record<string, unknown>;
        const r = applySettingsChange(defaultSettings(), change);
        if (r.ok) {
          const def = SETTING_DEFINITIONS.find((d) => d.key === key);
          assert.ok(def, `unknown key ${key} was accepted`);
          const parsed = def.parse(value);
          assert.ok(parsed.ok);
          assert.deepEqual((r.settings as unknown as Record<string, unknown>)[key], parsed.value);
          return;
        }
        assert.ok(r.problems.length > 0);
        assert.ok(
          r.problems.some((p) => p.key === key || p.message.includes(key)),
          `${key}: ${JSON.stringify(r.problems)}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reads any stored values without throwing, keeping defaults for the ones that no longer validate', () => {
    const stored = fc.dictionary(
      fc.oneof(
        fc.constantFrom(...SETTING_DEFINITIONS.map((d) => d.key as string)),
        fc.string({ maxLength: 10 }),
      ),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(stored, (values) => {
        const { settings, ignored } = settingsFromStored(values);
        const defaults = defaultSettings() as unknown as Record<string, unknown>;
        for (const p of ignored) {
          assert.ok(p.key in values && p.message.length > 0);
          assert.deepEqual((settings as unknown as Record<string, unknown>)[p.key], defaults[p.key]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
