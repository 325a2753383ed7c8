import assert from 'node:assert/strict';
import { auditEvent, type AuditEvent, type AuditRecord } from '../../src/domain/audit/audit.js';
import type { AuditRecordView } from '../../src/audit/export.js';
import { systemContext } from '../../src/services/context.js';
import { ADMIN_PASSWORD, basic, call, type Harness } from './harness.js';

/** The audit API's test kit: synthetic events, the search call and the records as stored. */

export const admin = basic('admin', ADMIN_PASSWORD);
export const MARCH = Date.parse('2024-03-01T00:00:00.000Z');
export const DAY = 86_400_000;

export type Page = { items: AuditRecordView[]; nextCursor: string | null };
export type ErrorBody = { error: { code: string; message: string; details?: Array<{ field: string }> } };

export function qs(params: Record<string, string | number>): string {
  return new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

/** Synthetic events with awkward text: commas, quotes, CR/LF, non-ASCII, empty strings. */
export function syntheticEvents(count: number, startTs: number): AuditEvent[] {
  const nodes = ['node-a', 'node-b'];
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i++) {
    const ctx = {
      ...systemContext(i % 3 === 0 ? 'anonymous' : 'carol'),
      sourceIp: i % 2 === 0 ? '192.0.2.10' : '2001:db8::1',
      proxyIp: i % 4 === 1 ? '198.51.100.7' : null,
      requestId: `req-${i}`,
      method: i % 2 === 0 ? 'GET' : 'POST',
      endpoint: '/api/things',
    };
    events.push(
      auditEvent(ctx, nodes[i % 2] ?? 'node-a', startTs + i * DAY, {
        category: 'authentication',
        action: i % 2 === 0 ? 'auth.failed' : 'auth.success',
        summary:
          i % 5 === 0
            ? `Odd, "QUOTED" text\r\non two lines #${i}`
            : i % 7 === 0
              ? `=HYPERLINK("x") ünïcødé ✓ #${i}`
              : `plain summary ${i}`,
        affectedUser: i % 3 === 0 ? null : 'dave',
        tokenId: i % 2 === 0 ? null : `tok_synth${i}`,
        tokenDescription: i % 2 === 0 ? null : i % 3 === 0 ? '' : `desc, with comma ${i}`,
        outcome: i % 2 === 0 ? 'invalid_token' : 'success',
        details:
          i % 6 === 0
            ? null
            : {
                zeta: i,
                alpha: { nested: [1, 'two', null, true], empty: '' },
                text: 'tab\tquote" comma, cr\r lf\n',
              },
      }),
    );
  }
  return events;
}

export async function appendEvents(h: Harness, events: AuditEvent[]): Promise<void> {
  await h.ctx.store.transaction((tx) => tx.audit.append(events));
}

export async function allRecords(h: Harness): Promise<AuditRecord[]> {
  return h.ctx.store.audit.search({}, 1_000_000);
}

export async function search(h: Harness, params: Record<string, string | number>, auth = admin) {
  return call(h.api, { method: 'GET', url: `/admin/audit?${qs(params)}`, auth });
}

export function fieldsOf(body: unknown): string[] {
  return ((body as ErrorBody).error.details ?? []).map((d) => d.field);
}

/**
 * The audit log the audit API suites search and export: real events through the API (a token created
 * and revoked by admin, a settings change, a revocation through a trusted proxy) and 40 synthetic ones.
 */
export async function seedAuditApi(
  h: Harness,
): Promise<{ all: AuditRecord[]; devToken: string; devTokenId: string }> {
  await h.addUser('dev', ['dev'], 'dev-password-1');
  const created = await call(h.api, {
    method: 'POST',
    url: '/admin/users/dev/tokens',
    auth: admin,
    body: { description: 'dev, "main" token', scope: 'read' },
    remoteAddress: '10.1.1.1',
  });
  assert.equal(created.statusCode, 201, created.body);
  const c = created.data as { token: string; record: { id: string } };
  const devToken = c.token;
  const devTokenId = c.record.id;
  const victim = await h.tokenFor('dev', 'write');
  assert.equal(
    (
      await call(h.api, {
        method: 'PATCH',
        url: '/admin/settings',
        auth: admin,
        body: { 'auth.trustedProxies': ['10.9.9.9/32'], 'rateLimit.requests': 7 },
        remoteAddress: '10.1.1.1',
      })
    ).statusCode,
    200,
  );
  const revoked = await call(h.api, {
    method: 'DELETE',
    url: `/admin/tokens/${victim.id}`,
    auth: admin,
    remoteAddress: '10.9.9.9',
    headers: { 'x-forwarded-for': '192.0.2.77' },
  });
  assert.equal(revoked.statusCode, 204, revoked.body);
  await appendEvents(h, syntheticEvents(40, MARCH - 10 * DAY));
  const all = await allRecords(h);
  assert.ok(all.length > 45);
  return { all, devToken, devTokenId };
}
