import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readSecret } from './identity.js';
import { loadConfig } from './load.js';
import { ConfigError } from './readers.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-identity-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function load(identity: unknown) {
  const path = join(dir, 'tokengate.json');
  writeFileSync(path, JSON.stringify({ identity }));
  return loadConfig({ config: path }, {});
}

const ldap = {
  url: 'ldap://127.0.0.1:3389',
  bindDn: 'cn=tokengate,dc=example,dc=test',
  userBaseDn: 'ou=people,dc=example,dc=test',
};

describe('identity config', () => {
  it('is off unless present', () => {
    const c = load({});
    assert.deepEqual([c.identity.ldap, c.identity.oidc, c.identity.ssoHeaders], [null, null, null]);
  });

  it('keeps where a secret is, relative to the config file, never the secret', () => {
    writeFileSync(join(dir, 'bind'), 'bind-secret\n');
    const c = load({ ldap: { ...ldap, bindPasswordFile: 'bind' } });
    assert.equal(c.identity.ldap?.bindPasswordFile, join(dir, 'bind'));
    assert.ok(!JSON.stringify(c).includes('bind-secret'));
    assert.equal(
      readSecret({ file: join(dir, 'bind'), env: null }, 'identity.ldap.bindPassword'),
      'bind-secret',
    );
  });

  it('refuses a secret written in the file, both places, or neither, naming the key', () => {
    assert.throws(() => load({ ldap: { ...ldap, bindPassword: 'x' } }), /identity\.ldap\.bindPassword/);
    assert.throws(
      () => load({ ldap: { ...ldap, bindPasswordFile: 'bind', bindPasswordEnv: 'X' } }),
      /identity\.ldap\.bindPasswordFile and identity\.ldap\.bindPasswordEnv: give one/,
    );
    assert.throws(
      () => load({ ldap }),
      /identity\.ldap\.bindPasswordFile or identity\.ldap\.bindPasswordEnv is required/,
    );
  });

  it('refuses what cannot work: a missing required key, StartTLS on ldaps, an http issuer elsewhere than loopback', () => {
    assert.throws(
      () => load({ ldap: { url: ldap.url, bindPasswordEnv: 'X' } }),
      /identity\.ldap\.bindDn is required/,
    );
    assert.throws(
      () =>
        load({ ldap: { ...ldap, url: 'ldaps://ldap.example.com', startTls: true, bindPasswordEnv: 'X' } }),
      /startTls is for ldap:\/\/ URLs/,
    );
    assert.throws(
      () => load({ ldap: { ...ldap, url: 'http://x', bindPasswordEnv: 'X' } }),
      /identity\.ldap\.url must be/,
    );
    const oidc = { clientId: 'tg', externalUrl: 'https://admin.example.com' };
    assert.throws(
      () => load({ oidc: { ...oidc, issuer: 'http://sso.example.com' } }),
      /identity\.oidc\.issuer must be an https/,
    );
    assert.equal(
      load({ oidc: { ...oidc, issuer: 'http://127.0.0.1:9000' } }).identity.oidc?.issuer,
      'http://127.0.0.1:9000',
    );
    assert.throws(
      () => load({ oidc: { ...oidc, issuer: 'https://sso.example.com', scopes: ['profile'] } }),
      /scopes must include openid/,
    );
  });

  it('reads a secret from the environment, and says which variable is missing', () => {
    process.env.TG_TEST_SECRET_X = 'from-env';
    try {
      assert.equal(
        readSecret({ file: null, env: 'TG_TEST_SECRET_X' }, 'identity.oidc.clientSecret'),
        'from-env',
      );
    } finally {
      delete process.env.TG_TEST_SECRET_X;
    }
    assert.throws(
      () => readSecret({ file: null, env: 'TG_TEST_SECRET_X' }, 'identity.oidc.clientSecret'),
      (e: Error) => e instanceof ConfigError && /TG_TEST_SECRET_X is not set/.test(e.message),
    );
    assert.throws(
      () => readSecret({ file: join(dir, 'missing'), env: null }, 'identity.ldap.bindPassword'),
      /ENOENT/,
    );
  });
});

describe('auth.browser config', () => {
  const oidc = {
    issuer: 'https://sso.example.com',
    clientId: 'tokengate',
    externalUrl: 'https://admin.example.com',
  };

  function loadAuth(identity: unknown, auth: unknown) {
    const path = join(dir, 'tokengate-auth.json');
    writeFileSync(path, JSON.stringify({ identity, auth }));
    return loadConfig({ config: path }, {});
  }

  it('is off unless present, and reads its keys with their defaults', () => {
    assert.equal(loadAuth({}, {}).auth.browser, null);
    const c = loadAuth({ oidc }, { browser: { externalUrl: 'https://app.example.com' } });
    assert.deepEqual(c.auth.browser, {
      provider: 'oidc',
      externalUrl: 'https://app.example.com',
      allowedRedirectHosts: [],
      sessionHours: 8,
      allowedGroups: [],
    });
  });

  it('refuses what it cannot serve, naming the key', () => {
    const refused: Array<[unknown, unknown, RegExp]> = [
      [
        {},
        { browser: { externalUrl: 'https://app.example.com' } },
        /auth\.browser\.provider oidc needs identity\.oidc/,
      ],
      [{ oidc }, { browser: {} }, /auth\.browser\.externalUrl is required/],
      [
        { oidc },
        { browser: { externalUrl: 'https://app.example.com/app' } },
        /auth\.browser\.externalUrl must be an origin/,
      ],
      [
        { oidc },
        { browser: { externalUrl: 'http://app.example.com' } },
        /auth\.browser\.externalUrl must be an https/,
      ],
      [
        { oidc },
        { browser: { externalUrl: 'https://a.example', provider: 'saml' } },
        /auth\.browser\.provider/,
      ],
      [
        { oidc },
        { browser: { externalUrl: 'https://a.example', sessionHours: 0 } },
        /auth\.browser\.sessionHours/,
      ],
      [{ oidc }, { browser: { externalUrl: 'https://a.example', unknownKey: 1 } }, /unknownKey/],
    ];
    for (const [identity, auth, message] of refused) {
      assert.throws(
        () => loadAuth(identity, auth),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
        JSON.stringify(auth),
      );
    }
  });
});
