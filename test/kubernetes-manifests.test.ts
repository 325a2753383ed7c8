import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { BASE_PATH } from '../src/http/api/app.js';

/**
 * deploy/kubernetes/: every document parses, the kinds and names are the ones docs/deployment.md
 * describes, the probes ask the readiness and liveness endpoints, the pods run non-root on a read-only root, and
 * the secrets are referenced, never written into a manifest. No cluster is needed.
 */

const DIR = fileURLToPath(new URL('../deploy/kubernetes/', import.meta.url));

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what} is not a mapping`);
  return v as Obj;
}

function list(v: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(v), `${what} is not a list`);
  return v;
}

/** Follows a dotted path through mappings; fails naming the path when a step is missing. */
function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const step of path.split('.')) cur = obj(cur, path)[step];
  return cur;
}

interface Doc {
  file: string;
  kind: string;
  name: string;
  body: Obj;
}

function loadAll(): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
      assert.deepEqual(d.errors, [], `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      const body = obj(d.toJS(), file);
      assert.equal(typeof body.apiVersion, 'string', `${file}: apiVersion`);
      assert.equal(typeof body.kind, 'string', `${file}: kind`);
      const name = body.kind === 'Kustomization' ? 'kustomization' : at(body, 'metadata.name');
      assert.equal(typeof name, 'string', `${file}: metadata.name`);
      docs.push({ file, kind: String(body.kind), name: String(name), body });
    }
  }
  return docs;
}

const docs = loadAll();

function one(kind: string, name: string): Obj {
  const found = docs.filter((d) => d.kind === kind && d.name === name);
  assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
  return found[0]?.body ?? {};
}

const deployment = one('Deployment', 'tokengate');
const pod = obj(at(deployment, 'spec.template.spec'), 'the pod spec');
const containers = list(pod.containers, 'containers').map((c) => obj(c, 'a container'));
const container = containers[0] ?? {};
const env = list(container.env, 'env').map((e) => obj(e, 'an env entry'));

describe('deploy/kubernetes manifests', () => {
  it('holds the kinds and names docs/deployment.md lists, and kustomization.yaml lists the files', () => {
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.name}`).sort(), [
      'ConfigMap/tokengate-config',
      'Deployment/tokengate',
      'Ingress/app',
      'Kustomization/kustomization',
      'Namespace/tokengate',
      'PodDisruptionBudget/tokengate',
      'Service/tokengate',
      'Service/tokengate-admin',
    ]);
    const kustomization = one('Kustomization', 'kustomization');
    const files = readdirSync(DIR).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !f.includes('example'),
    );
    assert.deepEqual(list(kustomization.resources, 'resources').slice().sort(), files.sort());
    for (const d of docs) {
      if (d.kind === 'Kustomization' || d.kind === 'Namespace' || d.kind === 'Ingress') continue;
      assert.equal(at(d.body, 'metadata.namespace'), 'tokengate', `${d.kind}/${d.name} namespace`);
    }
  });

  it('runs two replicas whose probes ask the readiness and liveness endpoints', () => {
    assert.equal(at(deployment, 'spec.replicas'), 2);
    assert.equal(containers.length, 1);
    for (const probe of ['startupProbe', 'readinessProbe']) {
      assert.equal(at(container, `${probe}.httpGet.path`), `${BASE_PATH}/readyz`, probe);
      assert.equal(at(container, `${probe}.httpGet.port`), 'http', probe);
    }
    // A database outage makes readyz 503: liveness must not restart every replica then, so it asks
    // livez, which depends on nothing.
    assert.equal(at(container, 'livenessProbe.httpGet.path'), `${BASE_PATH}/livez`);
    assert.equal(at(container, 'livenessProbe.httpGet.port'), 'http');
    const ports = list(container.ports, 'ports').map((p) => obj(p, 'a port'));
    assert.deepEqual(
      ports.map((p) => `${String(p.name)}:${String(p.containerPort)}`),
      ['http:8080', 'admin:8001'],
    );
    assert.ok(at(container, 'resources.requests.cpu'));
    assert.ok(at(container, 'resources.requests.memory'));
    assert.ok(at(container, 'resources.limits.memory'));
  });

  it('runs non-root on a read-only root filesystem, with a data emptyDir for the logs', () => {
    assert.equal(at(pod, 'securityContext.runAsNonRoot'), true);
    assert.equal(at(pod, 'securityContext.runAsUser'), 10001, 'the image’s uid (docs/container.md)');
    assert.equal(at(pod, 'securityContext.seccompProfile.type'), 'RuntimeDefault');
    assert.equal(at(pod, 'automountServiceAccountToken'), false);
    assert.equal(at(container, 'securityContext.readOnlyRootFilesystem'), true);
    assert.equal(at(container, 'securityContext.allowPrivilegeEscalation'), false);
    assert.deepEqual(at(container, 'securityContext.capabilities.drop'), ['ALL']);
    const volumes = list(pod.volumes, 'volumes').map((v) => obj(v, 'a volume'));
    const data = volumes.find((v) => v.name === 'data');
    assert.ok(data?.emptyDir !== undefined, 'the data volume is an emptyDir');
    const mounts = list(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'a mount'));
    assert.equal(mounts.find((m) => m.name === 'data')?.mountPath, '/data');
    assert.equal(env.find((e) => e.name === 'TOKENGATE_DATA_DIR')?.value, '/data');
    assert.equal(mounts.find((m) => m.name === 'config')?.readOnly, true);
  });

  it('references the PostgreSQL URL, the Redis URL and the admin password from a Secret, never inlines them', () => {
    assert.deepEqual(
      docs.filter((d) => d.kind === 'Secret').map((d) => d.name),
      [],
      'no Secret manifest: it would hold the values',
    );
    for (const name of ['TOKENGATE_DB', 'TOKENGATE_REDIS', 'TOKENGATE_ADMIN_PASSWORD']) {
      const e = env.find((x) => x.name === name);
      assert.ok(e, `${name} is set`);
      assert.equal(e.value, undefined, `${name} has no literal value`);
      assert.equal(at(e, 'valueFrom.secretKeyRef.name'), 'tokengate', name);
    }
    for (const file of readdirSync(DIR)) {
      const text = readFileSync(join(DIR, file), 'utf8');
      assert.doesNotMatch(text, /(postgres(ql)?|rediss?):\/\/[^\s…]*@/, `${file}: a URL with credentials`);
      assert.doesNotMatch(text, /adminPassword|password:/i, `${file}: a password`);
    }
  });

  it("the ConfigMap's tokengate.yaml is a config file tokengate loads", () => {
    const text = obj(at(one('ConfigMap', 'tokengate-config'), 'data'), 'data')['tokengate.yaml'];
    assert.equal(typeof text, 'string');
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-k8s-config-'));
    try {
      const file = join(dir, 'tokengate.yaml');
      writeFileSync(file, String(text));
      const config = loadConfig({}, { TOKENGATE_CONFIG: file, TOKENGATE_DATA_DIR: dir });
      assert.equal(config.upstream, 'http://app.apps.svc.cluster.local:3000');
      assert.equal(config.log.format, 'json');
      assert.equal(env.find((e) => e.name === 'TOKENGATE_CONFIG')?.value, '/etc/tokengate/tokengate.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Services, the PodDisruptionBudget and the Ingress point at what exists', () => {
    const labels = obj(at(deployment, 'spec.template.metadata.labels'), 'pod labels');
    const matches = (selector: unknown): boolean =>
      Object.entries(obj(selector, 'selector')).every(([k, v]) => labels[k] === v);
    const portNames = list(container.ports, 'ports').map((p) => obj(p, 'a port').name);
    for (const name of ['tokengate', 'tokengate-admin']) {
      const svc = one('Service', name);
      assert.ok(matches(at(svc, 'spec.selector')), `Service ${name} selects the pods`);
      for (const p of list(at(svc, 'spec.ports'), 'ports'))
        assert.ok(portNames.includes(obj(p, 'a port').targetPort), `Service ${name}: targetPort`);
    }
    const pdb = one('PodDisruptionBudget', 'tokengate');
    assert.ok(matches(at(pdb, 'spec.selector.matchLabels')));
    assert.equal(at(pdb, 'spec.minAvailable'), 1);

    const annotations = obj(at(one('Ingress', 'app'), 'metadata.annotations'), 'annotations');
    assert.equal(
      annotations['nginx.ingress.kubernetes.io/auth-url'],
      `http://tokengate.tokengate.svc:8080${BASE_PATH}/auth`,
    );
    assert.equal(
      annotations['nginx.ingress.kubernetes.io/auth-response-headers'],
      'X-Forwarded-User,X-Tokengate-Token-Id,X-Tokengate-Scope',
    );
    const svcPort = obj(list(at(one('Service', 'tokengate'), 'spec.ports'), 'ports')[0], 'port');
    assert.equal(svcPort.port, 8080);
  });
});
