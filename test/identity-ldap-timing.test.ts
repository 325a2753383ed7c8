import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LdapDirectory } from '../src/directory/ldap.js';
import type { LdapDirectoryOptions } from '../src/directory/ldap-options.js';
import type { PasswordCheck } from '../src/ports/directory.js';
import { LDAP_FIXTURE, requireSlapd, startSlapd, type Slapd, type SlapdOperation } from './support/slapd.js';

/**
 * Issue 17: an LDAP sign-in refusal must not tell who the directory holds. Every refusal (unknown
 * user, wrong password, disabled user, empty password, a name tokengate cannot hold) must make the
 * same LDAP operations with the same answers as a known user's wrong password, which is what would
 * otherwise make it faster or slower. Counted from slapd's own `stats` log (test/support/slapd.ts),
 * never timed: the timing comparison is bench/ldap-refusal.ts.
 */
const slapdNeed = requireSlapd();
const P = LDAP_FIXTURE.passwords;
const SERVICE = LDAP_FIXTURE.serviceDn;

/** The reference: a user the directory holds, with a wrong password. */
const WRONG_PASSWORD = { username: 'alice', password: 'not-alice-password' };
/** Every other refusal, with the reason the caller still hears. */
const REFUSALS = [
  { what: 'an unknown user', username: 'nobody', password: 'some-password-1', reason: 'unknown-user' },
  {
    what: 'a disabled user, wrong password',
    username: 'carol',
    password: 'not-carol-pw',
    reason: 'disabled',
  },
  { what: 'a disabled user, right password', username: 'carol', password: P.carol, reason: 'disabled' },
  { what: 'an empty password for a known user', username: 'alice', password: '', reason: 'no-password' },
  { what: 'an empty password for an unknown user', username: 'nobody', password: '', reason: 'no-password' },
  { what: 'a name with a filter special', username: 'al*', password: P.alice, reason: 'unknown-user' },
  // The directory's uid matching ignores leading spaces: " alice" finds alice, and must still be refused.
  { what: 'a name tokengate cannot hold', username: ' alice', password: P.alice, reason: 'unknown-user' },
] as const;

/**
 * The configurations whose refusals could differ: groups from memberOf or a search, a disabledFilter
 * or none (then carol is no longer disabled, and her cases are left out).
 */
const CONFIGS: Array<{
  name: string;
  options: Partial<LdapDirectoryOptions>;
  searches: number;
  disabled: boolean;
}> = [
  { name: 'memberOf, disabledFilter', options: {}, searches: 2, disabled: true },
  {
    name: 'group search, disabledFilter',
    options: { groupBaseDn: LDAP_FIXTURE.groupsDn },
    searches: 2,
    disabled: true,
  },
  {
    name: 'memberOf, no disabledFilter',
    options: { disabledFilter: undefined },
    searches: 1,
    disabled: false,
  },
];

/** An operation as a client could observe it: what was asked and what came back, not which DN. */
function shape(ops: SlapdOperation[]): string[] {
  return ops.map((o) => `${o.op} ${o.err ?? '-'}`);
}

function outcome(check: PasswordCheck): string {
  return check.ok ? `ok (${check.user.username})` : check.reason;
}

describe('LDAP refusals make the same operations whatever the reason (issue 17)', slapdNeed ?? {}, () => {
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd({ operations: true });
  });
  after(async () => {
    await slapd?.stop();
  });

  /** Runs one check and gives its outcome and the operations of its one connection. */
  async function observe(
    d: LdapDirectory,
    username: string,
    password: string,
  ): Promise<{ outcome: string; ops: SlapdOperation[] }> {
    await slapd.connections(0, SERVICE);
    const check = await d.verifyPassword(username, password);
    const connections = await slapd.connections(1, SERVICE);
    assert.equal(connections.length, 1, 'one connection per check');
    return { outcome: outcome(check), ops: connections[0] ?? [] };
  }

  for (const config of CONFIGS) {
    describe(config.name, () => {
      let d: LdapDirectory;
      const refusals = REFUSALS.filter((r) => config.disabled || r.reason !== 'disabled');
      before(() => {
        d = new LdapDirectory({
          url: slapd.url,
          bindDn: SERVICE,
          bindPassword: LDAP_FIXTURE.servicePassword,
          userBaseDn: LDAP_FIXTURE.peopleDn,
          disabledFilter: LDAP_FIXTURE.disabledFilter,
          timeoutMs: 3000,
          ...config.options,
        });
      });
      after(async () => {
        await d.close();
      });

      it('every refusal has the operations and answers of a wrong password, and keeps its reason', async () => {
        const reference = await observe(d, WRONG_PASSWORD.username, WRONG_PASSWORD.password);
        assert.equal(reference.outcome, 'wrong-password');
        // Service bind, the user search, the disabled search when configured, the user's bind refused.
        const searches = Array<string>(config.searches).fill('SRCH 0');
        assert.deepEqual(shape(reference.ops), ['BIND 0', ...searches, 'BIND 49', 'UNBIND -']);
        for (const r of refusals) {
          const seen = await observe(d, r.username, r.password);
          assert.equal(seen.outcome, r.reason, r.what);
          assert.deepEqual(shape(seen.ops), shape(reference.ops), r.what);
        }
      });

      it('a refused bind goes to a DN no user has; the given password only ever to its own user', async () => {
        const binds = (ops: SlapdOperation[]): string[] =>
          ops.filter((o) => o.op === 'BIND' && o.dn !== SERVICE).map((o) => o.dn ?? '');
        const wrong = await observe(d, 'alice', 'not-alice-password');
        assert.deepEqual(binds(wrong.ops), [`uid=alice,${LDAP_FIXTURE.peopleDn}`]);
        const seen = new Set<string>();
        for (const r of refusals) {
          const [dn, ...more] = binds((await observe(d, r.username, r.password)).ops);
          assert.equal(more.length, 0, r.what);
          assert.ok(dn?.endsWith(`,${LDAP_FIXTURE.peopleDn}`) === true, `${r.what}: ${dn}`);
          assert.ok(!/^uid=/i.test(dn), `${r.what}: bound as a user (${dn})`);
          seen.add(dn);
        }
        assert.equal(seen.size, 1, 'one decoy DN per directory');
      });

      it('groups are searched only after a successful bind', async () => {
        const ok = await observe(d, 'alice', P.alice);
        assert.equal(ok.outcome, 'ok (alice)');
        const groupSearches = (ops: SlapdOperation[]): number =>
          ops.filter((o) => o.op === 'SRCH' && o.base === LDAP_FIXTURE.groupsDn).length;
        const userBind = ok.ops.findIndex(
          (o) => o.op === 'BIND' && o.dn === `uid=alice,${LDAP_FIXTURE.peopleDn}`,
        );
        assert.equal(ok.ops[userBind]?.err, 0);
        assert.equal(groupSearches(ok.ops.slice(0, userBind)), 0);
        const viaSearch = config.options.groupBaseDn !== undefined;
        assert.equal(groupSearches(ok.ops.slice(userBind)), viaSearch ? 1 : 0);
        if (viaSearch) {
          // The search is the service account's: bound again as it after the user's bind.
          assert.deepEqual(
            ok.ops.slice(userBind + 1).map((o) => `${o.op} ${o.dn ?? o.base ?? ''}`),
            [`BIND ${SERVICE}`, `SRCH ${LDAP_FIXTURE.groupsDn}`, 'UNBIND '],
          );
        }
      });
    });
  }
});
