import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inProcessCli } from './support/cli.js';

const cli = inProcessCli('log-pattern-admin-password');
const dir = mkdtempSync(join(tmpdir(), 'tg-log-pattern-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tokengate serve with a bad log.pattern', () => {
  it('exits 78 with one line naming the config key and why, before it starts', async () => {
    const config = join(dir, 'tokengate.yaml');
    writeFileSync(config, 'log:\n  pattern: "%d %p [%c] %L %m%n"\n');
    const r = await cli(
      join(dir, 'data'),
      '--config',
      config,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--admin-port',
      'off',
    );
    assert.equal(r.code, 78, r.err);
    assert.equal(
      r.err,
      "tokengate: log.pattern in the config file: '%L' (the caller's line number) is not available: " +
        'tokengate does not capture call sites; remove it at position 11 in log pattern "%d %p [%c] %L %m%n"\n',
    );
    assert.equal(r.out, '');
  });
});
