import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SETTING_DEFINITIONS,
  applySettingsChange,
  defaultSettings,
  isSettingKey,
  settingsFromStored,
  type SettingProblem,
  type Settings,
} from './settings.js';

function problemsOf(r: ReturnType<typeof applySettingsChange>): SettingProblem[] {
  assert.ok(!r.ok, 'expected the change to be refused');
  return r.problems;
}

function applied(r: ReturnType<typeof applySettingsChange>): { settings: Settings; changed: string[] } {
  assert.ok(r.ok, r.ok ? '' : `expected ok, got ${JSON.stringify(r.problems)}`);
  return r;
}

describe('defaultSettings', () => {
  it('matches the documented table', () => {
    const s = defaultSettings();
    assert.equal(s['auth.basicPasswords'], true);
    assert.deepEqual(s['auth.allowedIps'], []);
    assert.deepEqual(s['auth.trustedProxies'], []);
    assert.equal(s['rateLimit.enabled'], false);
    assert.equal(s['rateLimit.requests'], 5);
    assert.equal(s['rateLimit.windowSeconds'], 300);
    assert.equal(s['tokens.maxPerUser'], 10);
  });

  it('returns a fresh copy each time', () => {
    const a = defaultSettings();
    a['auth.allowedIps'].push('10.0.0.0/8');
    a['permissions.useTokens'].push('x');
    const b = defaultSettings();
    assert.deepEqual(b['auth.allowedIps'], []);
    assert.deepEqual(b['permissions.useTokens'], ['*']);
  });

  it('has one definition per key, and each default passes its own validator', () => {
    const keys = SETTING_DEFINITIONS.map((d) => d.key);
    assert.equal(new Set(keys).size, keys.length);
    assert.deepEqual(Object.keys(defaultSettings()).sort(), [...keys].sort());
    for (const d of SETTING_DEFINITIONS) {
      const r = d.parse(d.default);
      assert.ok(r.ok, d.key);
      assert.deepEqual(r.value, d.default, d.key);
    }
  });

  it('knows its keys', () => {
    assert.equal(isSettingKey('tokens.prefix'), true);
    assert.equal(isSettingKey('tokens.nope'), false);
    assert.equal(isSettingKey('__proto__'), false);
    assert.equal(isSettingKey('toString'), false);
  });
});

describe('applySettingsChange', () => {
  it('applies a valid change and returns full settings', () => {
    const current = defaultSettings();
    const { settings, changed } = applied(
      applySettingsChange(current, { 'rateLimit.enabled': true, 'rateLimit.requests': 50 }),
    );
    assert.equal(settings['rateLimit.enabled'], true);
    assert.equal(settings['rateLimit.requests'], 50);
    assert.equal(settings['rateLimit.windowSeconds'], 300);
    assert.deepEqual(changed.sort(), ['rateLimit.enabled', 'rateLimit.requests']);
    // The input is not modified.
    assert.equal(current['rateLimit.enabled'], false);
  });

  it('refuses an unknown key', () => {
    assert.deepEqual(problemsOf(applySettingsChange(defaultSettings(), { 'tokens.bogus': 1 })), [
      { key: 'tokens.bogus', message: 'unknown setting' },
    ]);
    assert.deepEqual(problemsOf(applySettingsChange(defaultSettings(), { toString: 1 })), [
      { key: 'toString', message: 'unknown setting' },
    ]);
  });

  it('refuses wrong types and out-of-range values', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['rateLimit.enabled', 'true', /true or false/],
      ['rateLimit.enabled', 1, /true or false/],
      ['rateLimit.requests', '5', /integer from 1 to 1000000/],
      ['rateLimit.requests', 2.5, /integer/],
      ['rateLimit.requests', 0, /integer from 1/],
      ['rateLimit.windowSeconds', 86_401, /integer from 1 to 86400/],
      ['tokens.maxPerUser', null, /integer/],
      ['tokens.maxValidityDays', '365', /integer/],
      ['auth.allowedIps', '10.0.0.0/8', /array of strings/],
      ['auth.allowedIps', [10], /array of strings/],
      ['auth.trustedProxies', ['10.0.0.1/8'], /did you mean 10\.0\.0\.0\/8/],
      ['permissions.useTokens', ['bad group!'], /not a group name/],
      ['tokens.prefix', 'Bad', /lower-case/],
    ];
    for (const [key, v, message] of cases) {
      const problems = problemsOf(applySettingsChange(defaultSettings(), { [key]: v }));
      assert.equal(problems.length, 1, key);
      assert.equal(problems[0]?.key, key);
      assert.match(problems[0]?.message ?? '', message, `${key} = ${JSON.stringify(v)}`);
    }
  });

  it('reports several problems together and applies none', () => {
    const problems = problemsOf(
      applySettingsChange(defaultSettings(), {
        'rateLimit.enabled': true,
        nope: 1,
        'rateLimit.requests': -1,
        'auth.allowedIps': ['garbage'],
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.key),
      ['nope', 'rateLimit.requests', 'auth.allowedIps'],
    );
  });

  it('refuses defaultValidityDays above maxValidityDays, given together or against the current value', () => {
    const together = problemsOf(
      applySettingsChange(defaultSettings(), {
        'tokens.maxValidityDays': 30,
        'tokens.defaultValidityDays': 60,
      }),
    );
    assert.equal(together.length, 1);
    assert.equal(together[0]?.key, 'tokens.defaultValidityDays');
    assert.match(together[0]?.message ?? '', /60 is more than tokens\.maxValidityDays \(30\)/);

    // The current default is 90: lowering only the maximum below it is refused as well.
    const lowered = problemsOf(applySettingsChange(defaultSettings(), { 'tokens.maxValidityDays': 30 }));
    assert.match(lowered[0]?.message ?? '', /90 is more than tokens\.maxValidityDays \(30\)/);

    applied(
      applySettingsChange(defaultSettings(), {
        'tokens.maxValidityDays': 30,
        'tokens.defaultValidityDays': 30,
      }),
    );
  });

  it('refuses a never-expiring default while a maximum is set', () => {
    const problems = problemsOf(
      applySettingsChange(defaultSettings(), { 'tokens.defaultValidityDays': null }),
    );
    assert.equal(problems[0]?.key, 'tokens.defaultValidityDays');
    assert.match(problems[0]?.message ?? '', /cannot be null.*365/);

    const { settings } = applied(
      applySettingsChange(defaultSettings(), {
        'tokens.maxValidityDays': null,
        'tokens.defaultValidityDays': null,
      }),
    );
    assert.equal(settings['tokens.maxValidityDays'], null);
    assert.equal(settings['tokens.defaultValidityDays'], null);
  });

  it('lists only the keys whose value really changes', () => {
    const current = defaultSettings();
    current['auth.allowedIps'] = ['10.0.0.0/8'];
    const { changed } = applied(
      applySettingsChange(current, {
        'rateLimit.requests': 5,
        'auth.basicPasswords': true,
        'permissions.useTokens': ['*', '*'],
        'auth.allowedIps': ['::ffff:10.0.0.0/104'],
        'tokens.maxPerUser': 11,
      }),
    );
    assert.deepEqual(changed, ['tokens.maxPerUser']);
    assert.deepEqual(applied(applySettingsChange(current, {})).changed, []);
  });

  it('stores CIDR values in canonical form, without duplicates', () => {
    const { settings, changed } = applied(
      applySettingsChange(defaultSettings(), {
        'auth.allowedIps': ['192.0.2.7', ' 2001:DB8::/32 ', '192.0.2.7/32'],
        'auth.trustedProxies': ['::ffff:10.0.0.1'],
      }),
    );
    assert.deepEqual(settings['auth.allowedIps'], ['192.0.2.7/32', '2001:db8::/32']);
    assert.deepEqual(settings['auth.trustedProxies'], ['10.0.0.1/32']);
    assert.deepEqual(changed, ['auth.allowedIps', 'auth.trustedProxies']);
  });
});

describe('settingsFromStored', () => {
  it('reads valid stored values over the defaults', () => {
    const { settings, ignored } = settingsFromStored({
      'tokens.maxPerUser': 25,
      'rateLimit.enabled': true,
      'auth.trustedProxies': ['10.0.0.1'],
    });
    assert.deepEqual(ignored, []);
    assert.equal(settings['tokens.maxPerUser'], 25);
    assert.equal(settings['rateLimit.enabled'], true);
    assert.deepEqual(settings['auth.trustedProxies'], ['10.0.0.1/32']);
    assert.equal(settings['rateLimit.requests'], 5);
  });

  it('falls back to the default for invalid stored values and reports each of them', () => {
    const { settings, ignored } = settingsFromStored({
      'rateLimit.requests': 'ten',
      'auth.allowedIps': ['10.1.2.3/8'],
      'tokens.maxPerUser': 20,
      'no.such.key': 1,
    });
    assert.equal(settings['rateLimit.requests'], 5);
    assert.deepEqual(settings['auth.allowedIps'], []);
    assert.equal(settings['tokens.maxPerUser'], 20);
    assert.deepEqual(
      ignored.map((p) => p.key),
      ['rateLimit.requests', 'auth.allowedIps'],
    );
    assert.match(ignored[0]?.message ?? '', /integer/);
    assert.match(ignored[1]?.message ?? '', /host bits/);
    assert.equal('no.such.key' in settings, false);
  });

  it('gives the defaults for an empty store', () => {
    assert.deepEqual(settingsFromStored({}), { settings: defaultSettings(), ignored: [] });
  });
});
