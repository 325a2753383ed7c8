/**
 * How long LdapDirectory takes to refuse a sign-in, by reason, against the test slapd
 * (test/support/slapd.ts, users.ldif): an unknown user, a known user with a wrong password, a
 * disabled user, an empty password. The refusals should take the same time whatever the reason,
 * or a client can tell which names the directory holds (issue 17). Tries are interleaved so a
 * drift in the machine's load touches every case alike; the right password is shown for scale.
 *
 *   node --import tsx bench/ldap-refusal.ts [--tries 50] [--group-search]
 *
 * --group-search reads groups with a search under ou=groups instead of memberOf. slapd runs on
 * loopback only and is stopped at the end. Timings belong here, never in tests.
 */
import { parseArgs } from 'node:util';
import { LdapDirectory } from '../src/directory/ldap.js';
import { LDAP_FIXTURE, requireSlapd, startSlapd } from '../test/support/slapd.js';

const CASES = [
  { name: 'unknown user', username: 'nobody', password: 'some-password-1' },
  { name: 'known user, wrong password', username: 'alice', password: 'not-alice-password' },
  { name: 'disabled user', username: 'carol', password: 'not-carol-password' },
  { name: 'empty password', username: 'alice', password: '' },
  { name: '(right password)', username: 'alice', password: LDAP_FIXTURE.passwords.alice },
] as const;
const WARM_UP = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tries: { type: 'string', default: '50' },
      'group-search': { type: 'boolean', default: false },
    },
  });
  const tries = Number(values.tries);
  if (!Number.isInteger(tries) || tries < 1) throw new Error('--tries must be a positive integer');
  const need = requireSlapd();
  if (need !== null) throw new Error(need.skip);
  const slapd = await startSlapd();
  const directory = new LdapDirectory({
    url: slapd.url,
    bindDn: LDAP_FIXTURE.serviceDn,
    bindPassword: LDAP_FIXTURE.servicePassword,
    userBaseDn: LDAP_FIXTURE.peopleDn,
    disabledFilter: LDAP_FIXTURE.disabledFilter,
    ...(values['group-search'] ? { groupBaseDn: LDAP_FIXTURE.groupsDn } : {}),
    maxConnections: 1,
  });
  const times = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
  try {
    for (let i = 0; i < WARM_UP + tries; i++) {
      for (const c of CASES) {
        const start = process.hrtime.bigint();
        const check = await directory.verifyPassword(c.username, c.password);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (check.ok !== (c.name === '(right password)')) throw new Error(`${c.name}: unexpected outcome`);
        if (i >= WARM_UP) times.get(c.name)?.push(ms);
      }
    }
  } finally {
    await directory.close();
    await slapd.stop();
  }
  console.log(
    `LdapDirectory refusals, ${tries} tries each, groups from ${values['group-search'] ? 'a search' : 'memberOf'}`,
  );
  console.log('case'.padEnd(30), 'median ms'.padStart(10), 'p90 ms'.padStart(10));
  for (const [name, xs] of times) {
    console.log(
      name.padEnd(30),
      median(xs).toFixed(3).padStart(10),
      percentile(xs, 90).toFixed(3).padStart(10),
    );
  }
}

await main();
