import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { startEchoUpstream, startTestNode, cli } from './support/node.js';
import { loadConfig } from '../src/config/config.js';
import { startNode } from '../src/node.js';

describe('the log file', () => {
  it('writes JSON lines when log.format is json, with the same facts', async () => {
    const up = await startEchoUpstream();
    const t = await startTestNode(up.url, (c) => {
      c.log.format = 'json';
    });
    try {
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'jay' });
      const { token } = await t.tokenFor('jay', { description: 'json logs', scope: 'read' });
      assert.equal(
        (await fetch(`${t.url}/r`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      );
      await t.node.logs.flush();
      const lines = readFileSync(join(t.dir, 'logs', 'tokengate.log'), 'utf8')
        .trim()
        .split('\n');
      const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const found = records.find((r) => r.logger === 'auth');
      assert.equal(found?.level, 'INFO');
      assert.equal(found?.username, 'jay');
      assert.equal(found?.ip, '127.0.0.1');
      assert.equal(found?.url, '/r');
      assert.match(
        String(found?.message),
        /^Found a matching token "json logs" with Read Only scope and authenticated user jay\./,
      );
      assert.ok(!lines.join('\n').includes(token));
    } finally {
      await t.close();
      await up.close();
    }
  });

  it('keeps log levels across a restart, because they live in the database', async () => {
    const first = await startTestNode(null);
    const dir = first.dir;
    await first.settings({ 'log.levels': { root: 'WARN', auth: 'DEBUG' } });
    assert.equal(first.node.logs.levelOf('auth.filter'), 'DEBUG');
    // Close the node but keep its data directory for the second start.
    await first.node.close();
    const config = loadConfig({ dataDir: dir, port: 0, host: '127.0.0.1' }, {});
    config.log.console = false;
    const second = await startNode(config, { show: () => undefined });
    try {
      assert.equal(second.logs.levelOf('auth.filter'), 'DEBUG');
      assert.equal(second.logs.levelOf('server'), 'WARN');
    } finally {
      await second.close();
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    }
  });
});
