import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CliError } from './exit-codes.js';
import { hostsFilePath, readLogin, removeLogin, writeLogin } from './hosts-file.js';

describe('the stored login (hosts.json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-hosts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const refused = (e: unknown) => e instanceof CliError && e.exitClass === 'config';

  it('lives in $XDG_CONFIG_HOME/tokengate, else ~/.config/tokengate', () => {
    assert.equal(hostsFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/tokengate/hosts.json');
    assert.equal(hostsFilePath({ HOME: '/h' }), '/h/.config/tokengate/hosts.json');
    // A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
    assert.equal(hostsFilePath({ XDG_CONFIG_HOME: 'rel', HOME: '/h' }), '/h/.config/tokengate/hosts.json');
  });

  it('is written 0600 in a 0700 directory, read back, and removed', async () => {
    const path = join(dir, 'a', 'tokengate', 'hosts.json');
    assert.equal(await readLogin(path), undefined);
    await writeLogin(path, { server: 'https://gw', token: 'tgp_x' });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'a', 'tokengate')).mode & 0o777, 0o700);
    assert.deepEqual(await readLogin(path), { server: 'https://gw', token: 'tgp_x' });
    assert.equal(await removeLogin(path), true);
    assert.equal(await removeLogin(path), false);
  });

  it('refuses a file group or others may read or write, and a symbolic link', async () => {
    const path = join(dir, 'b', 'tokengate', 'hosts.json');
    await writeLogin(path, { server: 'https://gw', token: 'tgp_x' });
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      chmodSync(path, mode);
      await assert.rejects(readLogin(path), refused, mode.toString(8));
    }
    chmodSync(path, 0o600);
    const link = join(dir, 'b', 'link.json');
    symlinkSync(path, link);
    await assert.rejects(readLogin(link), refused);
    const junk = join(dir, 'b', 'junk.json');
    writeFileSync(junk, '{"server":1}', { mode: 0o600 });
    await assert.rejects(readLogin(junk), refused);
  });
});
