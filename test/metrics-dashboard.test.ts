import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer } from './support/harness.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { findPromtool, samples } from './support/prometheus.js';

/**
 * docs/grafana/tokengate.json (issue 19): every metric its panels' PromQL queries, every label value
 * a selector matches and every label an aggregation groups by exists in a real node's scrape; the
 * issue's panels are there; and, with promtool, every expression parses as PromQL (Grafana's
 * variables replaced by values).
 */

interface Target {
  expr: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; definition?: string }> };
}

const dashboard = JSON.parse(
  readFileSync(new URL('../docs/grafana/tokengate.json', import.meta.url), 'utf8'),
) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const variableQueries = dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : []));

/** A tokengate metric name; global, for match() (never test() or assert.match: it keeps lastIndex). */
const METRIC = /\btokengate_[a-zA-Z0-9_:]+/g;
const HAS_METRIC = /\btokengate_[a-zA-Z0-9_:]+/;

/** Grafana's variables as Prometheus would see them once Grafana substituted them. */
function substituted(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replaceAll('$node', '.*');
}

const PROMTOOL = findPromtool('to check the dashboard queries');

/** A scrape's series: metric name → the label sets it has. */
type Series = Map<string, Array<Record<string, string>>>;

function seriesOf(text: string): Series {
  const out: Series = new Map();
  for (const { name, labels } of samples(text)) {
    const list = out.get(name) ?? [];
    list.push(labels);
    out.set(name, list);
  }
  return out;
}

describe('the Grafana dashboard', () => {
  it('is a dashboard with the issue panels, unique ids and a query in every panel', () => {
    assert.equal(dashboard.uid, 'tokengate');
    assert.ok(dashboard.schemaVersion >= 36);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of queryPanels) {
      assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
      for (const t of p.targets ?? []) assert.match(t.expr, HAS_METRIC, `${p.title}: ${t.expr}`);
      assert.ok(p.gridPos.w > 0 && p.gridPos.h > 0 && p.gridPos.x + p.gridPos.w <= 24, p.title);
    }
    const titles = queryPanels.map((p) => p.title);
    for (const wanted of [
      'Requests by status class',
      'Authentication latency',
      'Upstream latency',
      'Failures by reason',
      'Credential cache hit ratio',
      'Audit queue',
      'Brute-force blocks',
    ])
      assert.ok(titles.includes(wanted), `panel "${wanted}" is missing`);
  });

  it(
    'parses as PromQL (promtool check rules)',
    { skip: PROMTOOL === null ? 'promtool not found' : false },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tg-dashboard-'));
      try {
        const rules = [
          'groups:',
          '  - name: dashboard',
          '    rules:',
          ...exprs.flatMap((e, i) => [
            `      - record: dashboard:query${i}`,
            `        expr: ${JSON.stringify(substituted(e))}`,
          ]),
        ].join('\n');
        writeFileSync(join(dir, 'rules.yml'), `${rules}\n`);
        const r = spawnSync(PROMTOOL ?? 'promtool', ['check', 'rules', join(dir, 'rules.yml')], {
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  describe('against a real scrape', () => {
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let t: TestNode;
    let series: Series;

    before(async () => {
      up = await startEchoUpstream();
      t = await startTestNode(up.url, (c) => {
        c.metrics.enabled = true;
        c.metrics.port = 0;
      });
      const token = (await t.tokenFor('admin')).token;
      assert.equal((await fetch(`${t.url}/x`, { headers: { authorization: bearer(token) } })).status, 200);
      await t.node.runtime.auditQueue.flush();
      const res = await fetch(`${t.node.metricsUrl ?? ''}/metrics`);
      assert.equal(res.status, 200);
      series = seriesOf(await res.text());
    });

    after(async () => {
      await t.close();
      await up.close();
    });

    it('has every metric the panels and variables query', () => {
      const names = new Set([...exprs, ...variableQueries].flatMap((e) => e.match(METRIC) ?? []));
      assert.ok(names.size >= 12, `only ${names.size} metrics found in the dashboard`);
      const missing = [...names].filter((n) => !series.has(n));
      assert.deepEqual(missing, [], `not in the scrape: ${missing.join(', ')}`);
    });

    it('has every label value the selectors match and every label the queries group by', () => {
      for (const expr of exprs) {
        for (const sel of expr.matchAll(/\b(tokengate_[a-zA-Z0-9_:]+)\{([^}]*)\}/g)) {
          const name = sel[1] ?? '';
          for (const m of (sel[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"$]*)"/g)) {
            const [label, value] = [m[1] ?? '', m[2] ?? ''];
            assert.ok(
              (series.get(name) ?? []).some((l) => l[label] === value),
              `${name} has no series with ${label}="${value}" (${expr})`,
            );
          }
        }
        const names = expr.match(METRIC) ?? [];
        for (const by of expr.matchAll(/\bby \(([^)]*)\)/g)) {
          for (const label of (by[1] ?? '').split(',').map((l) => l.trim())) {
            assert.ok(
              names.some((n) => (series.get(n) ?? []).some((l) => label in l)),
              `no metric of "${expr}" has the label ${label}`,
            );
          }
        }
      }
    });
  });
});
