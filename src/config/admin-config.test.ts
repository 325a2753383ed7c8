import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('config: the admin listener', () => {
  it('defaults to 127.0.0.1:8001, and to a free port when the gateway takes one', () => {
    const c = loadConfig({ db: ':memory:' }, {});
    assert.equal(c.adminPort, 8001);
    assert.equal(c.adminHost, '127.0.0.1');
    assert.equal(c.adminHostName, null);
    assert.equal(loadConfig({ db: ':memory:', port: 0 }, {}).adminPort, 0);
  });

  it('takes flags over the environment, and "off" for no admin listener', () => {
    const env = { TOKENGATE_ADMIN_PORT: '9001', TOKENGATE_ADMIN_HOST: '10.0.0.5' };
    assert.equal(loadConfig({ db: ':memory:' }, env).adminPort, 9001);
    assert.equal(loadConfig({ db: ':memory:' }, env).adminHost, '10.0.0.5');
    assert.equal(loadConfig({ db: ':memory:', adminPort: '9002' }, env).adminPort, 9002);
    assert.equal(loadConfig({ db: ':memory:', adminPort: 'off' }, env).adminPort, null);
    assert.equal(
      loadConfig({ db: ':memory:' }, { TOKENGATE_ADMIN_HOST_NAME: 'TG-Admin.example.com' }).adminHostName,
      'tg-admin.example.com',
    );
  });

  it('names the bad value', () => {
    assert.throws(() => loadConfig({ db: ':memory:', adminPort: '70000' }, {}), {
      name: 'ConfigError',
      message: /adminPort must be an integer from 0 to 65535 \(--admin-port: "70000"\)/,
    });
    assert.throws(
      () => loadConfig({ db: ':memory:' }, { TOKENGATE_ADMIN_HOST_NAME: 'admin.example.com:8443' }),
      (err: unknown) => err instanceof ConfigError && /adminHostName must be a host name/.test(err.message),
    );
  });
});
