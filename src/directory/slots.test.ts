import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adAccountDisabled, entryValues } from './ldap-entry.js';
import { Slots } from './slots.js';

describe('Slots', () => {
  it('never runs more than its size at once, and drains', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const job = (): Promise<void> =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      });
    const all = Promise.all(Array.from({ length: 7 }, job));
    await slots.drained();
    await all;
    assert.equal(most, 2);
    assert.equal(running, 0);
  });

  it('frees the slot when a holder throws', async () => {
    const slots = new Slots(1);
    await assert.rejects(slots.run(() => Promise.reject(new Error('boom'))));
    assert.equal(await slots.run(async () => 'next'), 'next');
    await slots.drained();
  });
});

describe('ldap entries', () => {
  it('reads attributes whatever case the server spells them in', () => {
    const entry = { dn: 'uid=a,dc=t', memberof: ['cn=x,dc=t', 'cn=y,dc=t'], cn: Buffer.from('A') };
    assert.deepEqual(entryValues(entry, 'memberOf'), ['cn=x,dc=t', 'cn=y,dc=t']);
    assert.deepEqual(entryValues(entry, 'CN'), ['A']);
    assert.deepEqual(entryValues(entry, 'mail'), []);
  });

  it("reads Active Directory's ACCOUNTDISABLE bit", () => {
    assert.equal(adAccountDisabled({ dn: 'x', userAccountControl: '512' }), false);
    assert.equal(adAccountDisabled({ dn: 'x', userAccountControl: '514' }), true);
    assert.equal(adAccountDisabled({ dn: 'x', userAccountControl: '66050' }), true);
    assert.equal(adAccountDisabled({ dn: 'x' }), false);
  });
});
