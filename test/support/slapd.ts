import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';

/**
 * A real OpenLDAP slapd (Debian's /usr/sbin/slapd) for the directory tests, on 127.0.0.1 at a free
 * port, as the current user, from a throwaway slapd.conf in a temp dir (MDB backend, the memberof
 * overlay so users carry memberOf). test/fixtures/ldap/users.ldif is loaded with ldapadd after start,
 * not slapadd before it: slapadd bypasses overlays, so memberOf would never be written.
 *
 * With `{ operations: true }` slapd runs at the `stats` debug level and the Slapd it gives reads
 * back, from slapd's own log, which operations each connection made and what it answered.
 *
 * `requireSlapd()` says why a suite cannot run; under CI=true it throws instead.
 * TOKENGATE_TEST_SLAPD / TOKENGATE_TEST_LDAPADD name the binaries when they are elsewhere.
 */

const CI = process.env.CI === 'true';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
/** How long `connections()` waits for slapd to log a connection's close. */
const OPERATIONS_WAIT_MS = 5_000;
const SLAPD = process.env.TOKENGATE_TEST_SLAPD ?? '/usr/sbin/slapd';
const LDAPADD = process.env.TOKENGATE_TEST_LDAPADD ?? '/usr/bin/ldapadd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
export const FIXTURE_LDIF = join(import.meta.dirname, '..', 'fixtures', 'ldap', 'users.ldif');

/** The names and passwords in users.ldif (and the admin of the throwaway config). */
export const LDAP_FIXTURE = {
  baseDn: 'dc=example,dc=test',
  peopleDn: 'ou=people,dc=example,dc=test',
  groupsDn: 'ou=groups,dc=example,dc=test',
  adminDn: 'cn=admin,dc=example,dc=test',
  adminPassword: 'admin-secret',
  serviceDn: 'cn=tokengate,ou=services,dc=example,dc=test',
  servicePassword: 'service-bind-secret',
  /** carol is disabled with employeeType=disabled; this is the filter that says so. */
  disabledFilter: '(employeeType=disabled)',
  passwords: {
    alice: 'alice-password-1',
    bob: 'bob-password-12',
    carol: 'carol-password-1',
    dave: 'dave-password-12',
  },
} as const;

/** One LDAP operation as slapd logged it. */
export interface SlapdOperation {
  /** slapd's name for it: `BIND`, `SRCH`, `UNBIND`, `EXT` (StartTLS) … */
  op: string;
  /** The result code slapd sent (49 invalidCredentials); null for an unbind, which has no answer. */
  err: number | null;
  /** For a BIND, the DN bound as. */
  dn?: string;
  /** For a SRCH, the base DN searched under. */
  base?: string;
}

export interface Slapd {
  url: string;
  port: number;
  /** The exact command line slapd was started with (for the docs and CI). */
  command: string[];
  /** Adds an entry as the admin (e.g. a new user). */
  add(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  /** Deletes an entry as the admin (the memberof overlay drops it from its groups). */
  delete(dn: string): Promise<void>;
  /**
   * The operations of each connection that slapd has closed since the last call and whose first
   * bind was as `boundAs` (the admin's own connections are left out), oldest first. Waits (up to
   * 5 s) until `expected` such connections have closed. Only with `{ operations: true }`.
   */
  connections(expected: number, boundAs: string): Promise<SlapdOperation[][]>;
  /** Stops slapd and removes its temp dir. */
  stop(): Promise<void>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Null when slapd can run here; otherwise why not. Throws under CI=true, where it must run. */
export function requireSlapd(): { skip: string } | null {
  const missing = [SLAPD, LDAPADD].filter((p) => !executable(p));
  if (missing.length === 0) return null;
  const why = `OpenLDAP not installed (${missing.join(', ')} missing; apt-get install slapd ldap-utils)`;
  if (CI) throw new Error(`CI=true and ${why}`);
  return { skip: why };
}

function slapdConf(dir: string): string {
  return [
    `include ${SCHEMA_DIR}/core.schema`,
    `include ${SCHEMA_DIR}/cosine.schema`,
    `include ${SCHEMA_DIR}/inetorgperson.schema`,
    `modulepath ${MODULE_DIR}`,
    'moduleload back_mdb',
    'moduleload memberof',
    `pidfile ${join(dir, 'slapd.pid')}`,
    'database mdb',
    `suffix "${LDAP_FIXTURE.baseDn}"`,
    `rootdn "${LDAP_FIXTURE.adminDn}"`,
    `rootpw ${LDAP_FIXTURE.adminPassword}`,
    `directory ${join(dir, 'data')}`,
    'maxsize 16777216',
    // As a real directory would: passwords only for binding, everything else only for bound users,
    // so a wrong service-bind password really leaves tokengate unable to search.
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by users read by * none',
    'overlay memberof',
    'memberof-group-oc groupOfNames',
    'memberof-member-ad member',
    'memberof-memberof-ad memberOf',
    'memberof-refint TRUE',
    '',
  ].join('\n');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`)),
    );
  });
}

async function asAdmin(url: string, fn: (c: Client) => Promise<void>): Promise<void> {
  const c = new Client({ url, timeout: 5000, connectTimeout: 5000 });
  try {
    await c.bind(LDAP_FIXTURE.adminDn, LDAP_FIXTURE.adminPassword);
    await fn(c);
  } finally {
    await c.unbind().catch(() => undefined);
  }
}

/** Waits until slapd answers an admin bind; fails early with its stderr when it exits. */
async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited ${child.exitCode}: ${stderr().trim()}`);
    try {
      await asAdmin(url, async () => undefined);
      return;
    } catch (err) {
      if (Date.now() > end) throw new Error(`slapd not ready within ${START_TIMEOUT_MS} ms: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Reads slapd's `stats` log lines, e.g.
 *   `… conn=1004 op=1 SRCH base="ou=people,…" scope=2 deref=0 filter="(…)"`
 *   `… conn=1004 op=1 SEARCH RESULT tag=101 err=0 qtime=… nentries=1 text=`
 *   `… conn=1004 fd=12 closed`
 * into one list of operations per connection, handed over once the connection has closed.
 */
class OperationLog {
  private buffer = '';
  private readonly open = new Map<string, Map<string, SlapdOperation>>();
  private readonly closed: SlapdOperation[][] = [];

  feed(chunk: string): void {
    this.buffer += chunk;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const conn = /\bconn=(\d+) /.exec(line)?.[1];
    if (conn === undefined) return;
    // slapd logs from several threads: a connection's ACCEPT line may come after its first
    // operation, so a connection starts with whichever line names it first.
    let ops = this.open.get(conn);
    if (ops === undefined) this.open.set(conn, (ops = new Map<string, SlapdOperation>()));
    if (/ fd=\d+ closed/.test(line)) {
      this.open.delete(conn);
      this.closed.push([...ops].sort(([a], [b]) => Number(a) - Number(b)).map(([, op]) => op));
      return;
    }
    // slapd logs several lines per operation (a search's attributes, a bind's mechanism, the
    // result): the first names it, the others add to it.
    const [, n, word, rest = ''] = /\bop=(\d+) (\S+)(?: (.*))?$/.exec(line) ?? [];
    if (n === undefined || word === undefined) return;
    let op = ops.get(n);
    if (op === undefined && word !== 'RESULT' && word !== 'SEARCH')
      ops.set(n, (op = { op: word, err: null }));
    if (op === undefined) return;
    const dn = /^dn="(.*)" method=/.exec(rest)?.[1];
    if (op.op === 'BIND' && dn !== undefined) op.dn = dn;
    const base = /^base="(.*?)" scope=/.exec(rest)?.[1];
    if (op.op === 'SRCH' && base !== undefined) op.base = base;
    const err = /\bRESULT .*\berr=(\d+)/.exec(line)?.[1];
    if (err !== undefined) op.err = Number(err);
  }

  async take(expected: number, boundAs: string): Promise<SlapdOperation[][]> {
    const end = Date.now() + OPERATIONS_WAIT_MS;
    const taken: SlapdOperation[][] = [];
    for (;;) {
      for (const ops of this.closed.splice(0)) {
        if (ops.find((o) => o.op === 'BIND')?.dn?.toLowerCase() === boundAs.toLowerCase()) taken.push(ops);
      }
      if (taken.length >= expected) return taken;
      if (Date.now() > end) throw new Error(`${taken.length} of ${expected} LDAP connections closed;`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export async function startSlapd(options: { operations?: boolean } = {}): Promise<Slapd> {
  const dir = await mkdtemp(join(tmpdir(), 'tokengate-slapd-'));
  await mkdir(join(dir, 'data'));
  const confFile = join(dir, 'slapd.conf');
  await writeFile(confFile, slapdConf(dir));
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d: stay in the foreground (no fork), so the child is slapd itself and dies with the test;
  // `stats` logs every connection and operation (to stderr), `0` nothing.
  const command = [SLAPD, '-d', options.operations === true ? 'stats' : '0', '-h', `${url}/`, '-f', confFile];
  const child = spawn(command[0] ?? SLAPD, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const log = options.operations === true ? new OperationLog() : null;
  child.stderr?.on('data', (d: Buffer) => {
    // With the operation log on, stderr is the log: keep only what waitReady may need to show.
    if (log === null) stderr += d.toString();
    else {
      log.feed(d.toString());
      stderr = (stderr + d.toString()).slice(-4096);
    }
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => stderr);
    await run(LDAPADD, [
      '-x',
      '-H',
      url,
      '-D',
      LDAP_FIXTURE.adminDn,
      '-w',
      LDAP_FIXTURE.adminPassword,
      '-f',
      FIXTURE_LDIF,
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    command,
    add: (dn, attributes) => asAdmin(url, (c) => c.add(dn, attributes)),
    delete: (dn) => asAdmin(url, (c) => c.del(dn)),
    connections: async (expected, boundAs) => {
      if (log === null) throw new Error('startSlapd({ operations: true }) to read operations');
      return log.take(expected, boundAs);
    },
    stop,
  };
}
