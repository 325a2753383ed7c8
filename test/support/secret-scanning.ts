import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Config } from '../../src/config/config.js';
import { hashToken } from '../../src/domain/token/hash.js';
import type { Api } from '../../src/http/api/app.js';
import type { Notifier } from '../../src/notify/notifier.js';
import type { LeakLabel } from '../../src/services/leak-response.js';
import { recordArtifact } from './artifacts.js';
import { basicAuth, secondApi, type TestNode } from './node.js';

/**
 * The secret-scanning alert endpoint's test kit: a scanner key pair made here, alerts signed as GitHub
 * signs them, and readers of the answers, the gateway and the audit log.
 */

export const API = '/_tokengate/api/v1';
export const ENDPOINT = `${API}/secret-scanning`;
export const KEY_ID = 'test-key-1';
export const ADMIN = basicAuth('admin', 'admin-password-1');
export const LEAK_URL = 'https://github.com/octocat/hello/blob/0123abc/deploy.yml';

export const pair = (curve = 'prime256v1'): { publicKey: KeyObject; privateKey: KeyObject } =>
  generateKeyPairSync('ec', { namedCurve: curve });
export const scanner = pair();
export const stranger = pair();
export const publicPem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }).toString();

export function signature(body: string, key: KeyObject = scanner.privateKey): string {
  return sign('sha256', Buffer.from(body), { key, dsaEncoding: 'der' }).toString('base64');
}

export interface Alert {
  token?: unknown;
  type?: unknown;
  url?: unknown;
  source?: unknown;
}

export function alertBody(alerts: Alert[]): string {
  return JSON.stringify(alerts);
}

/** POSTs a body as the scanner would: signed with `key` under `keyId`, unless told otherwise. */
export async function report(
  t: TestNode,
  body: string,
  opts: { keyId?: string | null; sig?: string | null } = {},
): Promise<{ status: number; data: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const keyId = opts.keyId === undefined ? KEY_ID : opts.keyId;
  const sig = opts.sig === undefined ? signature(body) : opts.sig;
  if (keyId !== null) headers['github-public-key-identifier'] = keyId;
  if (sig !== null) headers['github-public-key-signature'] = sig;
  const r = await fetch(`${t.url}${ENDPOINT}`, { method: 'POST', headers, body });
  return { status: r.status, data: await r.json() };
}

/** The gateway's answer to a request with this token: 200 while it works, 401 once revoked. */
export async function gatewayStatus(t: TestNode, token: string): Promise<number> {
  const r = await fetch(`${t.url}/x`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

export interface AuditView {
  action: string;
  author: string;
  summary: string;
  tokenId: string | null;
  affectedUser: string | null;
  endpoint: string | null;
  details: Record<string, unknown> | null;
}

export async function revocations(t: TestNode, tokenId: string): Promise<AuditView[]> {
  await t.node.runtime.auditQueue.flush();
  const r = await fetch(`${t.adminUrl}${API}/admin/audit?action=token.revoked`, {
    headers: { authorization: ADMIN },
  });
  assert.equal(r.status, 200);
  const { items } = (await r.json()) as { items: AuditView[] };
  return items.filter((i) => i.tokenId === tokenId);
}

export function labelOf(data: unknown, token: string): LeakLabel['label'] | undefined {
  return (data as LeakLabel[]).find((l) => l.token_hash === hashToken(token))?.label;
}

export function errorOf(data: unknown): { code: string; message: string } {
  return (data as { error: { code: string; message: string } }).error;
}

/** A second API over the node's context, with other secret-scanning settings and a notifier. */
export function apiOn(
  t: TestNode,
  secretScanning: Config['secretScanning'] | undefined,
  notifier?: Notifier,
): Api {
  return secondApi(t, {
    ...(secretScanning ? { secretScanning } : {}),
    ...(notifier ? { notifier } : {}),
  });
}

export async function inject(
  api: Api,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; data: unknown }> {
  const r = await api.inject({
    method: 'POST',
    url: ENDPOINT,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });
  if (r.statusCode >= 400) recordArtifact('error-body', `inject ${r.statusCode} ${ENDPOINT}`, r.body);
  return { status: r.statusCode, data: JSON.parse(r.body) as unknown };
}
