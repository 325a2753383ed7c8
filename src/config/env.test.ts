import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, type Config } from './config.js';
import { envKeys, envName, OTHER_VARIABLES, TEST_PREFIX } from './env.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Tree = Record<string, unknown>;
let files = 0;
function fromFile(tree: Tree, env: NodeJS.ProcessEnv = {}): Config {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, JSON.stringify(tree));
  return loadConfig({ config: path }, env);
}

function setKey(into: Tree, key: string, value: unknown): Tree {
  const parts = key.split('.');
  let at = into;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Tree;
  at[parts.at(-1) ?? ''] = value;
  return into;
}

function getKey(from: unknown, key: string): unknown {
  return key.split('.').reduce((at, part) => (at as Tree | undefined)?.[part], from);
}

/** The same settings as variables: each leaf of the file's tree through its derived name. */
function asEnv(tree: Tree, prefix = ''): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(tree)) {
    const key = `${prefix}${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      Object.assign(env, asEnv(v as Tree, `${key}.`));
    else env[envName(key)] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return env;
}

/** The sections that are off unless present, on, with their required keys. */
const ON: Tree = {
  notifications: {
    smtp: { host: 'smtp.example.com' },
    webhook: { url: 'https://hooks.example.com/t', secret: 'sixteen-chars-ok' },
  },
  identity: {
    ldap: {
      url: 'ldap://ldap.example.com',
      bindDn: 'cn=tokengate,dc=example,dc=com',
      bindPasswordEnv: 'LDAP_BIND_PASSWORD',
      userBaseDn: 'ou=people,dc=example,dc=com',
      groupSearch: { baseDn: 'ou=groups,dc=example,dc=com' },
    },
    oidc: {
      issuer: 'https://sso.example.com/realms/example',
      clientId: 'tokengate',
      externalUrl: 'https://tokengate-admin.example.com',
    },
    ssoHeaders: { user: 'remote-user' },
  },
  auth: { browser: { externalUrl: 'https://app.example.com' } },
};

/** Values other than the default where the kind alone cannot give one. */
const EXAMPLES: Record<string, unknown> = {
  // No default, or one whose default-plus-one rule leaves the range.
  'tracing.sampleRatio': 0.5,
  'tracing.otlpEndpoint': 'http://127.0.0.1:4318/v1/traces',
  port: 9090,
  host: '127.0.0.2',
  adminPort: 9001,
  adminHost: '127.0.0.3',
  adminHostName: 'admin.example.com',
  upstream: 'http://127.0.0.1:3000',
  dataDir: join(dir, 'data'),
  db: join(dir, 'tg.db'),
  nodeId: 'node-7',
  redis: 'redis://127.0.0.1:6379',
  adminPassword: 'a-long-password',
  changePollMs: 2000,
  lastUsedFlushMs: 6000,
  stripHeaders: ['x-internal-user', 'x-other'],
  'log.format': 'json',
  'log.pattern': '%d %p %m%n',
  'log.style': 'seed',
  'audit.syslog.transport': 'tcp',
  'audit.syslog.appName': 'tg-audit',
  'notifications.smtp.user': 'mailer',
  'notifications.smtp.password': 'mail-password',
  'notifications.smtp.from': 'tg@example.com',
  'secretScanning.publicKeys': [{ id: 'k1', pem: '-----BEGIN PUBLIC KEY-----\nAA==' }],
  'identity.oidc.scopes': ['openid', 'email'],
  'identity.oidc.clientSecretEnv': 'OIDC_CLIENT_SECRET',
  'identity.ldap.disabledFilter': '(employeeType=disabled)',
  'identity.groups.admin': ['cn=admins,ou=groups,dc=example,dc=com'],
  'auth.browser.allowedRedirectHosts': ['other.example.com'],
};

/** Keys that go together: setting one sets the other. */
const TOGETHER: Record<string, Record<string, unknown>> = {
  'notifications.smtp.user': { 'notifications.smtp.password': 'mail-password' },
  'notifications.smtp.password': { 'notifications.smtp.user': 'mailer' },
};

const defaults = fromFile(ON);

/** A value for `key` that its reader takes: an example, else one derived from its default and kind. */
function exampleFor(key: string, kind: string): unknown {
  if (key in EXAMPLES) return EXAMPLES[key];
  const d = getKey(defaults, key);
  if (kind === 'path') return join(dir, key);
  if (kind === 'boolean') return d !== true;
  if (typeof d === 'number') return d + 1;
  if (Array.isArray(d)) return [...(d as unknown[]), 'another'];
  assert.ok(typeof d === 'string', `${key} needs an example value`);
  return d;
}

describe('environment variables: one per config key, derived from the declarations', () => {
  it('derives each name from the key, and keeps the existing names', () => {
    assert.equal(envName('log.format'), 'TOKENGATE_LOG_FORMAT');
    assert.equal(envName('identity.oidc.clientId'), 'TOKENGATE_IDENTITY_OIDC_CLIENT_ID');
    assert.equal(envName('proxy.connectTimeoutMs'), 'TOKENGATE_PROXY_CONNECT_TIMEOUT_MS');
    const names = envKeys();
    for (const name of [
      'TOKENGATE_PORT',
      'TOKENGATE_HOST',
      'TOKENGATE_ADMIN_PORT',
      'TOKENGATE_ADMIN_HOST',
      'TOKENGATE_ADMIN_HOST_NAME',
      'TOKENGATE_UPSTREAM',
      'TOKENGATE_DATA_DIR',
      'TOKENGATE_DB',
      'TOKENGATE_NODE_ID',
      'TOKENGATE_REDIS',
      'TOKENGATE_ADMIN_PASSWORD',
      'TOKENGATE_LOG_FORMAT',
      'TOKENGATE_IDENTITY_LDAP_BIND_PASSWORD_FILE',
    ])
      assert.ok(names.has(name), name);
    // No two keys share a name, and none is taken by another use.
    const keys = [...names.values()].map((k) => k.key);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(new Set(keys.map(envName)).size, keys.length);
    for (const name of Object.keys(OTHER_VARIABLES)) assert.ok(!names.has(name), name);
  });

  it('gives the same configuration through each variable as through the config file', () => {
    assert.ok(envKeys().size > 100, `only ${envKeys().size} variables`);
    for (const [name, { key, kind }] of envKeys()) {
      const tree = structuredClone(ON);
      const value = exampleFor(key, kind);
      setKey(tree, key, value);
      for (const [k, v] of Object.entries(TOGETHER[key] ?? {})) setKey(tree, k, v);
      if (key === 'identity.ldap.bindPasswordFile') setKey(tree, 'identity.ldap.bindPasswordEnv', null);
      if (key === 'identity.ldap.bindPasswordEnv') setKey(tree, 'identity.ldap.bindPasswordEnv', 'OTHER_PW');
      if (key === 'identity.ldap.startTls') setKey(tree, 'identity.ldap.url', 'ldap://ldap.example.com');
      if (key === 'identity.oidc.clientSecretFile') setKey(tree, 'identity.oidc.clientSecretEnv', null);
      const prune = (t: Tree): Tree => {
        for (const [k, v] of Object.entries(t)) {
          if (v === null) Reflect.deleteProperty(t, k);
          else if (typeof v === 'object' && !Array.isArray(v)) prune(v as Tree);
        }
        return t;
      };
      prune(tree);
      const viaFile = fromFile(tree);
      const viaEnv = loadConfig({}, asEnv(tree));
      assert.deepEqual(viaEnv, viaFile, name);
      if (kind !== 'text' || key in EXAMPLES)
        assert.notDeepEqual(getKey(viaEnv, key), getKey(defaults, key), `${name} left ${key} at its default`);
    }
  });

  it('puts the environment between the file and the flags, key by key', () => {
    const c = fromFile({ port: 7000, log: { format: 'layout', maxFiles: 3 } }, { TOKENGATE_PORT: '7001' });
    assert.equal(c.port, 7001);
    const d = fromFile({ log: { format: 'layout', maxFiles: 3 } }, { TOKENGATE_LOG_FORMAT: 'json' });
    assert.equal(d.log.format, 'json');
    assert.equal(d.log.maxFiles, 3);
    assert.equal(loadConfig({ port: '7002' }, { TOKENGATE_PORT: '7001' }).port, 7002);
    // An empty variable counts as unset.
    assert.equal(fromFile({ port: 7000 }, { TOKENGATE_PORT: '' }).port, 7000);
  });

  it('turns an optional section on by any of its variables; its required keys then apply', () => {
    assert.equal(loadConfig({}, {}).identity.ssoHeaders, null);
    assert.equal(
      loadConfig({}, { TOKENGATE_IDENTITY_SSO_HEADERS_USER: 'X-User' }).identity.ssoHeaders?.user,
      'x-user',
    );
    assert.throws(
      () => loadConfig({}, { TOKENGATE_IDENTITY_LDAP_URL: 'ldaps://ldap.example.com' }),
      /identity\.ldap\.bindDn is required/,
    );
  });

  it('parses numbers, booleans and JSON lists, and refuses a bad value naming the variable', () => {
    const c = loadConfig(
      {},
      {
        TOKENGATE_LOG_CONSOLE: 'false',
        TOKENGATE_STRIP_HEADERS: '["X-A","x-b"]',
        TOKENGATE_CACHE_TTL_SECONDS: '5',
      },
    );
    assert.equal(c.log.console, false);
    assert.deepEqual(c.stripHeaders, ['x-a', 'x-b']);
    assert.equal(c.cache.ttlSeconds, 5);
    for (const [env, message] of [
      [{ TOKENGATE_LOG_CONSOLE: 'yes' }, 'log.console must be true or false (TOKENGATE_LOG_CONSOLE: "yes")'],
      [
        { TOKENGATE_STRIP_HEADERS: 'x-a,x-b' },
        'stripHeaders must be a JSON array such as ["a","b"] (TOKENGATE_STRIP_HEADERS)',
      ],
      [
        { TOKENGATE_PROXY_CONNECTIONS: '0' },
        'proxy.connections must be an integer from 1 to 10000 (TOKENGATE_PROXY_CONNECTIONS: 0)',
      ],
      [
        { TOKENGATE_CACHE_TTL_SECONDS: '1m' },
        'cache.ttlSeconds must be an integer from 1 to 86400 (TOKENGATE_CACHE_TTL_SECONDS: "1m")',
      ],
      [{ TOKENGATE_LOG_FORMAT: 'xml' }, 'log.format must be layout or json (TOKENGATE_LOG_FORMAT)'],
      [
        { TOKENGATE_CHANGE_POLL_MS: '1' },
        'changePollMs must be an integer from 50 to 60000 (TOKENGATE_CHANGE_POLL_MS: "1")',
      ],
    ] as const) {
      assert.throws(
        () => loadConfig({}, env),
        (err: unknown) => err instanceof ConfigError && err.message === message,
        message,
      );
    }
  });
});

describe('environment variables: unknown ones refused', () => {
  it('refuses a TOKENGATE_ variable that is no key, naming the nearest', () => {
    for (const [name, near] of [
      ['TOKENGATE_LOG_FORMT', 'TOKENGATE_LOG_FORMAT'],
      ['TOKENGATE_CONNECT_TIMEOUT_MS', 'TOKENGATE_PROXY_CONNECT_TIMEOUT_MS'],
      ['TOKENGATE_ADMIN_PASWORD', 'TOKENGATE_ADMIN_PASSWORD'],
      ['TOKENGATE_PROXY_CONNECTIONS_FILE', 'TOKENGATE_PROXY_CONNECTIONS'],
    ] as const) {
      assert.throws(
        () => loadConfig({}, { [name]: 'x' }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message === `unknown environment variable ${name}; did you mean ${near}?`,
        name,
      );
    }
  });

  it('lets pass the documented other variables, one a …Env key names, and any other prefix', () => {
    const others = Object.fromEntries(Object.keys(OTHER_VARIABLES).map((k) => [k, 'x']));
    Reflect.deleteProperty(others, 'TOKENGATE_CONFIG');
    others.TOKENGATE_TEST_PG = 'postgres://x';
    assert.equal(loadConfig({}, { ...others, PATH: '/bin' }).port, 8080);
    const c = loadConfig(
      {},
      {
        ...asEnv({ identity: { oidc: getKey(ON, 'identity.oidc') } }),
        TOKENGATE_IDENTITY_OIDC_CLIENT_SECRET_ENV: 'TOKENGATE_MY_OIDC_SECRET',
        TOKENGATE_MY_OIDC_SECRET: 's3cret',
      },
    );
    assert.equal(c.identity.oidc?.clientSecretEnv, 'TOKENGATE_MY_OIDC_SECRET');
  });

  it('knows every TOKENGATE_ variable the code, the tests, the scripts and the deployment files read', () => {
    const root = new URL('../../', import.meta.url).pathname;
    const seen = new Set<string>();
    const walk = (path: string): void => {
      const s = statSync(path, { throwIfNoEntry: false });
      if (!s) return;
      if (s.isDirectory()) {
        for (const e of readdirSync(path)) if (e !== 'node_modules' && e !== 'dist') walk(join(path, e));
        return;
      }
      // The tests of these refusals name unknown variables on purpose; env.ts names the prefixes.
      if (/(src\/config\/[^/]+\.test|test\/cli-config\.test|src\/config\/env)\.ts$/.test(path)) return;
      for (const m of readFileSync(path, 'utf8').matchAll(/TOKENGATE_[A-Z0-9_]*[A-Z0-9]/g)) seen.add(m[0]);
    };
    for (const p of ['src', 'test', 'scripts', 'bench', 'web/src', 'web/vite.config.ts', '.ci', 'deploy'])
      walk(join(root, p));
    for (const p of ['Containerfile', 'compose.yaml']) walk(join(root, p));
    const known = envKeys();
    // An error code, not a variable.
    seen.delete('TOKENGATE_AUDIT_WRITER_GONE');
    for (const name of seen) {
      const fileForm = name.endsWith('_FILE') && known.get(name.slice(0, -5))?.kind === 'text';
      const other = Object.hasOwn(OTHER_VARIABLES, name) || name.startsWith(TEST_PREFIX);
      assert.ok(known.has(name) || fileForm || other, `${name} is not known`);
    }
  });
});

describe('environment variables: <NAME>_FILE', () => {
  const secret = join(dir, 'admin-password');
  writeFileSync(secret, 'from-a-file-secret\n');

  it('reads a text key from the file a _FILE variable names, without its last newline', () => {
    assert.equal(
      loadConfig({}, { TOKENGATE_ADMIN_PASSWORD_FILE: secret }).adminPassword,
      'from-a-file-secret',
    );
    const c = loadConfig(
      {},
      {
        TOKENGATE_NOTIFICATIONS_WEBHOOK_URL: 'https://hooks.example.com/t',
        TOKENGATE_NOTIFICATIONS_WEBHOOK_SECRET_FILE: secret,
      },
    );
    assert.equal(c.notifications.webhook?.secret, 'from-a-file-secret');
  });

  it('refuses both forms, a missing file and an empty one, naming the variable and never the value', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    for (const [env, message] of [
      [
        { TOKENGATE_ADMIN_PASSWORD: 'another-password', TOKENGATE_ADMIN_PASSWORD_FILE: secret },
        'TOKENGATE_ADMIN_PASSWORD and TOKENGATE_ADMIN_PASSWORD_FILE: give one of them',
      ],
      [
        { TOKENGATE_ADMIN_PASSWORD_FILE: join(dir, 'none') },
        `TOKENGATE_ADMIN_PASSWORD_FILE: cannot read ${join(dir, 'none')} (ENOENT)`,
      ],
      [{ TOKENGATE_ADMIN_PASSWORD_FILE: empty }, `TOKENGATE_ADMIN_PASSWORD_FILE: ${empty} is empty`],
    ] as const) {
      assert.throws(
        () => loadConfig({}, env),
        (err: unknown) => err instanceof ConfigError && err.message === message,
        message,
      );
    }
    writeFileSync(join(dir, 'short'), 'short');
    assert.throws(
      () => loadConfig({}, { TOKENGATE_ADMIN_PASSWORD_FILE: join(dir, 'short') }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === 'adminPassword must be 8 to 1024 characters (TOKENGATE_ADMIN_PASSWORD_FILE)',
    );
  });
});

describe('the database value', () => {
  it('is a postgres URL, a path, a file: URL or :memory:', () => {
    assert.equal(loadConfig({}, { TOKENGATE_DB: 'postgresql://u@h/db' }).db, 'postgresql://u@h/db');
    assert.equal(loadConfig({}, { TOKENGATE_DB: ':memory:' }).db, ':memory:');
    assert.equal(loadConfig({}, { TOKENGATE_DB: 'file:///srv/tg/tg.db' }).db, '/srv/tg/tg.db');
    assert.equal(loadConfig({}, { TOKENGATE_DB: 'file:tg.db' }).db, join(process.cwd(), 'tg.db'));
    assert.equal(loadConfig({}, { TOKENGATE_DB: 'state/tg.db' }).db, join(process.cwd(), 'state/tg.db'));
    assert.equal(fromFile({ db: 'file:tg.db' }).db, join(dir, 'tg.db'));
  });

  it('refuses any other scheme, naming where it came from and not the URL', () => {
    for (const [load, from] of [
      [() => loadConfig({}, { TOKENGATE_DB: 'mysql://u:pw-secret@x/db' }), 'TOKENGATE_DB'],
      [() => loadConfig({ db: 'mysql://u:pw-secret@x/db' }, {}), '--db'],
      [() => fromFile({ db: 'mysql://u:pw-secret@x/db' }), 'config file key db'],
    ] as const) {
      assert.throws(load, (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          `db must be a SQLite file path, a file: URL, :memory: or a postgres:// or postgresql:// URL, not a mysql: URL (${from})`,
        );
        return true;
      });
    }
  });
});

describe('the first admin password', () => {
  it('is refused at start-up when shorter than 8 characters, naming where it came from', () => {
    assert.throws(
      () => loadConfig({}, { TOKENGATE_ADMIN_PASSWORD: 'short' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === 'adminPassword must be 8 to 1024 characters (TOKENGATE_ADMIN_PASSWORD)',
    );
    assert.equal(loadConfig({}, { TOKENGATE_ADMIN_PASSWORD: 'eight-ch' }).adminPassword, 'eight-ch');
  });
});
