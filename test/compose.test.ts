import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/config.js';

/**
 * compose.yaml and the Containerfile cannot be run here (no registry, so no postgres, redis or
 * nginx image): this checks what can be checked without running them. Their environment goes
 * through tokengate's own config loader, so a variable tokengate does not know, or a value it
 * refuses, fails here rather than at `docker compose up`. The image itself is built and run by
 * .ci/container.sh.
 */

const ROOT = new URL('../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');

type Map = Record<string, unknown>;
const isMap = (v: unknown): v is Map => typeof v === 'object' && v !== null && !Array.isArray(v);
function map(v: unknown, what: string): Map {
  assert.ok(isMap(v), `${what} must be a mapping`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(v), `${what} must be a list`);
  return v;
}

// Merge keys (<<) are YAML 1.1, which Compose reads; the yaml package applies them with merge: true.
const compose = map(parse(read('compose.yaml'), { merge: true }), 'compose.yaml');
const services = map(compose.services, 'services');
const NODES = ['tokengate-1', 'tokengate-2'];
const SECRET_PATH = '/run/secrets/admin_password';

/** Compose's ${VAR:?message} and ${VAR} interpolation, from the given values. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)(?::\?[^}]*)?\}/g, (_m, name: string) => {
    const v = vars[name];
    assert.ok(v !== undefined, `compose.yaml uses \${${name}}: the test gives it no value`);
    return v;
  });
}

function environment(name: string): Record<string, string> {
  const env = map(map(services[name], name).environment, `${name}.environment`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    assert.equal(typeof v, 'string', `${name}: ${k} must be a string`);
    out[k] = v as string;
  }
  return out;
}

/** The image's ENV lines: `ENV A=1 \` continued over several lines. */
function imageEnv(containerfile: string): Record<string, string> {
  const joined = containerfile.replace(/\\\n/g, ' ');
  const out: Record<string, string> = {};
  for (const line of joined.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (k && v !== undefined) out[k] = v;
    }
  }
  return out;
}

describe('compose.yaml', () => {
  it('has two tokengate nodes, PostgreSQL, Redis and nginx, each with a health check', () => {
    assert.deepEqual(Object.keys(services).sort(), ['nginx', 'postgres', 'redis', ...NODES].sort());
    for (const [name, s] of Object.entries(services)) {
      const test = list(
        map(map(s, name).healthcheck, `${name}.healthcheck`).test,
        `${name}.healthcheck.test`,
      );
      assert.equal(test[0], 'CMD', `${name}: exec-form health check`);
    }
    for (const name of ['postgres', 'redis', 'nginx'])
      assert.match(String(map(services[name], name).image), /^docker\.io\/library\/[a-z]+:[\w.-]+$/);
  });

  it('builds the nodes from the Containerfile, read-only, each with a data volume, checked at the readiness endpoint', () => {
    const volumes = map(compose.volumes, 'volumes');
    const ids = new Set<string>();
    for (const name of NODES) {
      const s = map(services[name], name);
      assert.equal(s.build, '.', `${name} builds the repository's Containerfile`);
      assert.equal(s.read_only, true, `${name}: read-only root`);
      const mounts = list(s.volumes, `${name}.volumes`).map(String);
      const data = mounts.find((m) => m.endsWith(':/data'));
      assert.ok(data, `${name}: a volume on /data`);
      assert.ok(Object.keys(volumes).includes(data.split(':')[0] ?? ''), `${name}: ${data} is declared`);
      const test = list(map(s.healthcheck, name).test, name).join(' ');
      assert.match(test, /http:\/\/127\.0\.0\.1:8080\/_tokengate\/readyz/);
      ids.add(environment(name).TOKENGATE_NODE_ID ?? '');
      // The nodes wait for the database and Redis to be healthy.
      const deps = map(s.depends_on, `${name}.depends_on`);
      for (const [dep, cond] of Object.entries(deps)) {
        assert.ok(dep in services, `${name} depends on ${dep}, a service`);
        assert.equal(map(cond, dep).condition, 'service_healthy');
      }
    }
    assert.equal(ids.size, NODES.length, 'each node has its own TOKENGATE_NODE_ID');
    // The second node starts after the first: one of them applies the migrations on a new database.
    assert.ok('tokengate-1' in map(map(services['tokengate-2'], 'n2').depends_on, 'deps'));
  });

  it('hands the admin password over as a secret file, never inline', () => {
    const secrets = map(compose.secrets, 'secrets');
    const file = String(map(secrets.admin_password, 'admin_password').file);
    assert.equal(file, './deploy/compose/admin_password.txt');
    assert.match(
      read('deploy/compose/.gitignore'),
      /^admin_password\.txt$/m,
      'the password file is never committed',
    );
    for (const name of NODES) {
      assert.deepEqual(map(services[name], name).secrets, ['admin_password']);
      const env = environment(name);
      assert.equal(env.TOKENGATE_ADMIN_PASSWORD, undefined);
      assert.equal(env.TOKENGATE_ADMIN_PASSWORD_FILE, SECRET_PATH);
    }
    assert.doesNotMatch(read('compose.yaml'), /PASSWORD:\s*['"]?[A-Za-z0-9]{6,}/, 'no password written out');
  });

  it("gives tokengate an environment its config loader accepts, on top of the image's", () => {
    const containerfile = read('Containerfile');
    const dir = mkdtempSync(join(tmpdir(), 'tg-compose-'));
    try {
      const secret = join(dir, 'admin_password');
      writeFileSync(secret, 'compose-admin-password\n');
      for (const name of NODES) {
        const env: NodeJS.ProcessEnv = { ...imageEnv(containerfile) };
        for (const [k, v] of Object.entries(environment(name)))
          env[k] = interpolate(v, { TOKENGATE_PG_PASSWORD: 'pg-secret' }).replace(SECRET_PATH, secret);
        const config = loadConfig({}, env);
        assert.equal(config.db, 'postgres://tokengate:pg-secret@postgres:5432/tokengate');
        assert.equal(config.redis, 'redis://redis:6379/0');
        assert.equal(config.nodeId, name);
        assert.equal(config.adminPassword, 'compose-admin-password');
        assert.equal(config.dataDir, '/data');
        assert.equal(config.port, 8080);
        assert.equal(config.adminPort, 8001);
        // In a container the admin listener must be reachable from its network (nginx here).
        assert.equal(config.adminHost, '0.0.0.0');
        assert.equal(config.host, '0.0.0.0');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('points the PostgreSQL and Redis URLs at services of the file, with the same password', () => {
    const pg = environment('postgres');
    const db = new URL(
      interpolate(environment('tokengate-1').TOKENGATE_DB ?? '', { TOKENGATE_PG_PASSWORD: 'x' }),
    );
    assert.ok(db.hostname in services);
    assert.equal(db.username, pg.POSTGRES_USER);
    assert.equal(db.pathname, `/${pg.POSTGRES_DB ?? ''}`);
    assert.equal(pg.POSTGRES_PASSWORD, '${TOKENGATE_PG_PASSWORD:?set TOKENGATE_PG_PASSWORD}');
    assert.ok(new URL(environment('tokengate-1').TOKENGATE_REDIS ?? '').hostname in services);
  });
});

describe('nginx in front (deploy/compose/nginx.conf)', () => {
  const nginx = map(services.nginx, 'nginx');
  const conf = read('deploy/compose/nginx.conf');
  const upstreams = new Map<string, string[]>();
  for (const m of conf.matchAll(/upstream\s+(\w+)\s*\{([^}]*)\}/g))
    upstreams.set(
      m[1] ?? '',
      [...(m[2] ?? '').matchAll(/^\s*server\s+(\S+?)[\s;]/gm)].map((s) => s[1] ?? ''),
    );

  it('mounts the config file of this folder', () => {
    assert.ok(
      list(nginx.volumes, 'nginx.volumes').includes(
        './deploy/compose/nginx.conf:/etc/nginx/conf.d/default.conf:ro',
      ),
    );
  });

  it("balances the gateway and the admin listener over both nodes, by their service names and the image's ports", () => {
    const env = imageEnv(read('Containerfile'));
    assert.deepEqual(
      upstreams.get('tokengate_gateway'),
      NODES.map((n) => `${n}:${env.TOKENGATE_PORT ?? ''}`),
    );
    assert.deepEqual(
      upstreams.get('tokengate_admin'),
      NODES.map((n) => `${n}:${env.TOKENGATE_ADMIN_PORT ?? ''}`),
    );
    const passes = [...conf.matchAll(/proxy_pass\s+http:\/\/(\w+);/g)].map((m) => m[1]);
    assert.deepEqual(passes.sort(), ['tokengate_admin', 'tokengate_gateway']);
  });

  it('publishes the admin listener on loopback only, and has the fixed address the docs tell tokengate to trust', () => {
    const ports = list(nginx.ports, 'nginx.ports').map(String);
    assert.ok(ports.includes('8080:8080'));
    assert.ok(ports.includes('127.0.0.1:8001:8001'));
    assert.ok(!ports.some((p) => /^(0\.0\.0\.0:)?8001:/.test(p)), 'the admin port is not public');
    const address = String(map(map(nginx.networks, 'networks').tokengate, 'tokengate').ipv4_address);
    const net = map(map(compose.networks, 'networks').tokengate, 'tokengate');
    const subnet = String(map(list(map(net.ipam, 'ipam').config, 'config')[0], 'config[0]').subnet);
    assert.equal(subnet, '172.28.0.0/24');
    assert.match(address, /^172\.28\.0\.\d+$/);
    assert.match(
      read('docs/container.md'),
      new RegExp(`auth\\.trustedProxies '\\["${address.replace(/\./g, '\\.')}"\\]'`),
    );
  });
});

describe('Containerfile', () => {
  const file = read('Containerfile');

  it('builds FROM ${BASE}, node:22-bookworm-slim by default, in two stages', () => {
    assert.match(file, /^ARG BASE=node:22-bookworm-slim$/m);
    assert.deepEqual(
      [...file.matchAll(/^FROM (.+)$/gm)].map((m) => m[1]),
      ['${BASE} AS build', '${BASE}'],
    );
  });

  it('runs as uid 10001 with /data as a volume, a health check and SIGTERM', () => {
    assert.match(file, /^USER 10001:10001$/m);
    assert.match(file, /^VOLUME \/data$/m);
    assert.match(file, /^EXPOSE 8080 8001$/m);
    assert.match(file, /^HEALTHCHECK .*\n.*\/_tokengate\/readyz/m);
    assert.match(file, /^STOPSIGNAL SIGTERM$/m);
    assert.match(file, /^ENTRYPOINT \["node", "\/app\/bin\/tokengate\.js"\]$/m);
  });

  it('keeps local state, builds and secrets out of the build context, for podman and docker alike', () => {
    const ignore = read('.containerignore');
    assert.equal(read('.dockerignore'), ignore);
    const lines = ignore.split('\n');
    for (const p of ['node_modules', 'dist', 'web/dist', 'data', '.git', '.env'])
      assert.ok(lines.includes(p), p);
  });
});
