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
