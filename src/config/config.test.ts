import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, type Config } from './config.js';
import { envKeys, envName } from './env.js';
import type { Fields } from './readers.js';
import { SECTIONS, TOP_LEVEL_KEYS } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Loads a config file with the given YAML text, and nothing from the environment. */
function fromFile(yaml: string): Config {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, yaml);
  return loadConfig({ config: path }, {});
}

describe('config file section server:', () => {
  it('has defaults for every limit and timeout', () => {
    assert.deepEqual(loadConfig({}, {}).server, {
      maxHeaderBytes: 16_384,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5_000,
      maxApiBodyBytes: 65_536,
    });
  });

  it('reads each key, and 0 turns the request timeout off', () => {
    const c = fromFile(
      [
        'server:',
        '  maxHeaderBytes: 8192',
        '  headersTimeoutMs: 2000',
        '  requestTimeoutMs: 0',
        '  keepAliveTimeoutMs: 65000',
        '  maxApiBodyBytes: 1048576',
      ].join('\n'),
    );
    assert.deepEqual(c.server, {
      maxHeaderBytes: 8_192,
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 0,
      keepAliveTimeoutMs: 65_000,
      maxApiBodyBytes: 1_048_576,
    });
    // Keys left out keep their defaults.
    assert.equal(fromFile('server:\n  maxHeaderBytes: 4096').server.headersTimeoutMs, 10_000);
    assert.equal(fromFile('server:').server.maxHeaderBytes, 16_384);
  });

  it('refuses values out of range, naming the key and the range', () => {
    for (const [yaml, pattern] of [
      ['maxHeaderBytes: 100', /server\.maxHeaderBytes must be an integer from 1024 to 1048576/],
      ['maxHeaderBytes: 16kb', /server\.maxHeaderBytes must be an integer/],
      ['headersTimeoutMs: 0', /server\.headersTimeoutMs must be an integer from 100/],
      ['requestTimeoutMs: -1', /server\.requestTimeoutMs must be an integer from 0/],
      ['keepAliveTimeoutMs: 1.5', /server\.keepAliveTimeoutMs must be an integer/],
      ['maxApiBodyBytes: 1e9', /server\.maxApiBodyBytes must be an integer from 1024 to 104857600/],
    ] as const) {
      assert.throws(
        () => fromFile(`server:\n  ${yaml}`),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, pattern);
          return true;
        },
      );
    }
  });

  it('refuses a request timeout shorter than the headers timeout, as node would', () => {
    assert.throws(
      () => fromFile('server:\n  headersTimeoutMs: 20000\n  requestTimeoutMs: 10000'),
      /server\.requestTimeoutMs must be 0 or at least server\.headersTimeoutMs \(20000\)/,
    );
    assert.equal(
      fromFile('server:\n  headersTimeoutMs: 20000\n  requestTimeoutMs: 0').server.requestTimeoutMs,
      0,
    );
  });

  it('refuses unknown keys and a section that is not a mapping', () => {
    assert.throws(() => fromFile('server:\n  maxBodyBytes: 10'), /unknown key "server\.maxBodyBytes"/);
    assert.throws(() => fromFile('server: 5'), /config file key server must be a mapping/);
  });
});

describe('config file key log.pattern', () => {
  it("accepts the seed's ConversionPattern and keeps it as written", () => {
    const seed =
      '%d{yyyy-MM-dd HH:mm:ss,SSSZ} %t %p %X{jira.username} %X{jira.request.id} %X{jira.request.assession.id} ' +
      '%X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m%n';
    assert.equal(fromFile(`log:\n  pattern: ${JSON.stringify(seed)}`).log.pattern, seed);
    assert.equal(loadConfig({}, {}).log.pattern, null);
  });

  it('refuses a pattern that does not compile, naming the key, the reason and the position', () => {
    for (const [pattern, message] of [
      ['%d %L %m', "log.pattern in the config file: '%L' (the caller's line number) is not available"],
      ['%X{tenant} %m', "log.pattern in the config file: unknown context key 'tenant'"],
      ['%d %Q %m', "log.pattern in the config file: unknown conversion '%Q'"],
    ] as const) {
      assert.throws(
        () => fromFile(`log:\n  pattern: ${JSON.stringify(pattern)}`),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.ok(err.message.startsWith(message), err.message);
          assert.ok(err.message.includes(`in log pattern ${JSON.stringify(pattern)}`), err.message);
          return true;
        },
      );
    }
  });
});

/** Every key of the config file, dotted (`audit.file.dir`), from the declarations; a nested section is listed with its keys. */
function declaredKeys(prefix = '', fields: Fields = SECTIONS as unknown as Fields): string[] {
  const keys: string[] = prefix ? [] : [...TOP_LEVEL_KEYS];
  for (const [key, f] of Object.entries(fields)) {
    const name = `${prefix}${key}`;
    if (!prefix && !f.fields) {
      // A top-level section: its value is a declaration of keys, not a field.
      keys.push(...declaredKeys(`${name}.`, f as unknown as Fields));
      continue;
    }
    keys.push(name);
    if (f.fields) keys.push(...declaredKeys(`${name}.`, f.fields));
  }
  return keys;
}

/** The keys in docs/configuration.md's config-file tables (up to the runtime settings). */
/** The keys an LDAP directory and an OpenID provider need before any other of theirs is accepted. */
const LDAP_REQUIRED = {
  url: 'ldaps://ldap.example.com',
  bindDn: 'cn=tokengate,ou=services,dc=example,dc=com',
  bindPasswordEnv: 'LDAP_BIND_PASSWORD',
  userBaseDn: 'ou=people,dc=example,dc=com',
};
const OIDC_REQUIRED = {
  issuer: 'https://sso.example.com/realms/example',
  clientId: 'tokengate',
  externalUrl: 'https://tokengate-admin.example.com',
};

/** Sets each of `values` under `section` that `into` does not have yet. */
function fillMissing(into: Record<string, unknown>, section: string, values: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(values))
    if (getKey(into, `${section}.${k}`) === undefined) setKey(into, `${section}.${k}`, v);
}

function documentedKeys(): string[] {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const startUp = doc.slice(doc.indexOf('## Start-up configuration'), doc.indexOf('## Runtime settings'));
  return [...startUp.matchAll(/^\| `([A-Za-z]+(?:\.[A-Za-z]+)*)` +\|/gm)].map((m) => m[1] ?? '');
}

/** `{a: {b: value}}` for the key `a.b`, merged into `into`. */
function setKey(into: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const parts = key.split('.');
  let at = into;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
  at[parts.at(-1) ?? ''] = value;
  return into;
}

function getKey(from: unknown, key: string): unknown {
  return key.split('.').reduce((at, part) => (at as Record<string, unknown> | undefined)?.[part], from);
}

/** A mis-spelling one edit away: a letter in the middle dropped, or one added to a short key. */
const misspell = (key: string): string => (key.length > 3 ? key.slice(0, 2) + key.slice(3) : `${key}x`);

describe('config file keys: one declaration each, unknown ones refused', () => {
  it('refuses a misspelt key in every section, naming it in full and suggesting the right one', () => {
    for (const [yaml, message] of [
      ['cache:\n  maxEntrys: 5', 'unknown key "cache.maxEntrys"; did you mean "cache.maxEntries"?'],
      ['proxy:\n  conections: 5', 'unknown key "proxy.conections"; did you mean "proxy.connections"?'],
      ['prot: 1', 'unknown key "prot"; did you mean "port"?'],
      [
        'audit:\n  file:\n    enable: true',
        'unknown key "audit.file.enable"; did you mean "audit.file.enabled"?',
      ],
    ] as const) {
      assert.throws(
        () => fromFile(yaml),
        (err: unknown) => err instanceof ConfigError && err.message.endsWith(message),
        yaml,
      );
    }
    const keys = declaredKeys();
    for (const key of keys) {
      const parts = key.split('.');
      const wrong = [...parts.slice(0, -1), misspell(parts.at(-1) ?? '')].join('.');
      const yaml = JSON.stringify(setKey({}, wrong, 1));
      assert.throws(
        () => fromFile(yaml),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.ok(
            err.message.includes(`unknown key "${wrong}"; did you mean "${key}"?`),
            `${key}: ${err.message}`,
          );
          return true;
        },
      );
    }
    // Far from every key: refused, with no suggestion.
    assert.throws(
      () => fromFile('cache:\n  somethingElse: 1'),
      (err: unknown) =>
        err instanceof ConfigError &&
        /unknown key "cache\.somethingElse"$/.test(err.message) &&
        err.message.includes(join(dir, 'config-')),
    );
  });

  it('declares every key the docs list, and the docs list every declared key', () => {
    const declared = declaredKeys();
    const documented = documentedKeys();
    assert.ok(documented.length > 60, `only ${documented.length} keys found in docs/configuration.md`);
    for (const key of documented) assert.ok(declared.includes(key), `${key} is documented but not declared`);
    // Described in their section's row rather than in rows of their own.
    const inTheirSectionsRow = new Set([
      'notifications.smtp.host',
      'notifications.smtp.user',
      'notifications.smtp.password',
      'notifications.webhook.url',
      'notifications.webhook.secret',
      'audit.file',
      'audit.syslog',
    ]);
    for (const key of declared) {
      if (!inTheirSectionsRow.has(key))
        assert.ok(documented.includes(key), `${key} is declared but not in docs/configuration.md`);
    }
  });

  it("states the environment variables' rule as the code applies it", () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const startUp = doc.slice(doc.indexOf('## Start-up configuration'), doc.indexOf('## Runtime settings'));
    const rows = [
      ...startUp.matchAll(/^\| `([A-Za-z]+(?:\.[A-Za-z]+)*)` +\| `(TOKENGATE_[A-Z0-9_]+)` +\|/gm),
    ];
    assert.ok(rows.length >= 15, `only ${rows.length} rows name a key and its variable`);
    const declared = declaredKeys();
    for (const [, key = '', variable = ''] of rows) {
      assert.ok(declared.includes(key), `${key} is not declared`);
      assert.equal(envName(key), variable, key);
      assert.equal(envKeys().get(variable)?.key, key, variable);
    }
    const section = startUp.slice(startUp.indexOf('### Environment variables'));
    for (const key of [
      'proxy.connectTimeoutMs',
      'identity.oidc.clientId',
      'identity.ldap.groupSearch.baseDn',
    ])
      assert.ok(section.includes(`| \`${key}\``), `the rule's examples include ${key}`);
  });

  const BROWSER_REQUIRED = { externalUrl: 'https://app.example.com' };

  it('accepts every documented key, with its default or an example value', () => {
    // The defaults, with the sections that are off unless present turned on.
    const defaults = fromFile(
      JSON.stringify({
        notifications: {
          smtp: { host: 'smtp.example.com' },
          webhook: { url: 'https://hooks.example.com/t', secret: 'sixteen-chars-ok' },
        },
        identity: {
          ldap: { ...LDAP_REQUIRED, groupSearch: { baseDn: 'ou=groups,dc=example,dc=com' } },
          oidc: OIDC_REQUIRED,
          ssoHeaders: {},
        },
        auth: { browser: BROWSER_REQUIRED },
      }),
    );
    const examples: Record<string, unknown> = {
      adminHostName: 'admin.example.com',
      upstream: 'http://127.0.0.1:3000',
      redis: 'redis://127.0.0.1:6379',
      adminPassword: 'a-password',
      'log.pattern': '%d %p %m%n',
      'log.style': 'seed',
      'notifications.smtp': { host: 'smtp.example.com' },
      'notifications.webhook': { url: 'https://hooks.example.com/t', secret: 'sixteen-chars-ok' },
      'secretScanning.publicKeys': [{ id: 'k1', pem: '-----BEGIN PUBLIC KEY-----\nAA==' }],
      'identity.ldap': LDAP_REQUIRED,
      'identity.ldap.groupSearch': { baseDn: 'ou=groups,dc=example,dc=com' },
      'identity.oidc': OIDC_REQUIRED,
      'identity.ssoHeaders': {},
      'identity.ldap.caFile': '/etc/ssl/ldap-ca.pem',
      'identity.ldap.bindPasswordFile': 'ldap-bind-password',
      'identity.ldap.disabledFilter': '(employeeType=disabled)',
      'identity.oidc.clientSecretFile': 'oidc-client-secret',
      'identity.oidc.clientSecretEnv': 'OIDC_CLIENT_SECRET',
      'auth.browser': BROWSER_REQUIRED,
      'tls.certFile': '/etc/tokengate/tls/cert.pem',
      'tls.keyFile': '/etc/tokengate/tls/key.pem',
      'adminTls.certFile': '/etc/tokengate/tls/admin-cert.pem',
      'adminTls.keyFile': '/etc/tokengate/tls/admin-key.pem',
      'adminTls.clientCaFile': '/etc/tokengate/tls/clients-ca.pem',
      'tracing.otlpEndpoint': 'http://127.0.0.1:4318/v1/traces',
    };
    for (const key of documentedKeys()) {
      const value = key in examples ? examples[key] : getKey(defaults, key);
      assert.notEqual(value, null, `${key} needs an example value`);
      const file = setKey({}, key, value);
      // The sections that are off unless present need their required keys.
      if (key.startsWith('notifications.smtp.')) setKey(file, 'notifications.smtp.host', 'smtp.example.com');
      if (key.startsWith('identity.ldap.')) {
        const required = { ...LDAP_REQUIRED } as Record<string, string>;
        if (key === 'identity.ldap.bindPasswordFile') delete required.bindPasswordEnv;
        fillMissing(file, 'identity.ldap', required);
      }
      if (key.startsWith('identity.ldap.groupSearch.'))
        fillMissing(file, 'identity.ldap.groupSearch', { baseDn: 'ou=groups,dc=example,dc=com' });
      if (key.startsWith('identity.oidc.')) fillMissing(file, 'identity.oidc', OIDC_REQUIRED);
      // Browser sign-in needs identity.oidc's provider.
      if (key.startsWith('auth.browser')) {
        fillMissing(file, 'identity.oidc', OIDC_REQUIRED);
        fillMissing(file, 'auth.browser', BROWSER_REQUIRED);
      }
      if (key.startsWith('notifications.webhook.')) {
        setKey(file, 'notifications.webhook.url', 'https://hooks.example.com/t');
        setKey(file, 'notifications.webhook.secret', 'sixteen-chars-ok');
      }
      const config = fromFile(JSON.stringify(file));
      if (!(key in examples) && key !== 'nodeId') assert.deepEqual(getKey(config, key), value, key);
    }
  });
});
