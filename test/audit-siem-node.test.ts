import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { cli, startTestNode } from './support/node.js';

describe('a serving node ships its audit records to the SIEM outputs', () => {
  it('writes the audit file and sends syslog, including authentication events', async () => {
    const udp = createSocket('udp4');
    const received: string[] = [];
    udp.on('message', (m) => received.push(m.toString('utf8')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    const t = await startTestNode(null, (c) => {
      c.audit.file.enabled = true;
      c.audit.syslog.enabled = true;
      c.audit.syslog.port = port;
    });
    try {
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'sia' });
      const { token } = await t.tokenFor('sia', { description: 'siem' });
      await t.settings({ 'audit.events.authSuccess': true });
      assert.equal(
        (await fetch(`${t.url}/x`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      );
    } finally {
      // Closing flushes the audit queue, then ships what is left.
      await t.node.close();
    }
    try {
      const file = join(t.dir, 'audit', 'audit.jsonl');
      assert.ok(existsSync(file));
      const records = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; seq: number; hash: string; author: string });
      const actions = records.map((r) => r.action);
      assert.ok(actions.includes('token.created'));
      assert.ok(actions.includes('auth.success'));
      assert.deepEqual(
        records.map((r) => r.seq),
        [...records.map((r) => r.seq)].sort((a, b) => a - b),
      );
      assert.ok(records.every((r) => /^[0-9a-f]{64}$/.test(r.hash)));
      for (let i = 0; i < 50 && !received.some((m) => m.includes('auth.success')); i++)
        await new Promise((r) => setTimeout(r, 20));
      const success = received.find((m) => m.includes(' auth.success '));
      assert.match(success ?? '', /^<\d+>1 \S+ \S+ tokengate \d+ auth\.success \[tokengate@32473 /);
      assert.match(success ?? '', /author="sia"/);
    } finally {
      udp.close();
      (await import('node:fs')).rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
