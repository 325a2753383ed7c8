import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, type Config } from './config.js';

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
