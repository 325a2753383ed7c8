import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import { COMPAT_RESOLUTION_PATH } from '../../src/http/api/routes/compat-resolution.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './node.js';

/**
 * The seed app's REST API, compatible subset (docs/migration.md): the users, credentials, request
 * helper and answer shapes its route tests and its example-script suite share.
 */

export const API = '/_tokengate/api/v1';
export const COMPAT = COMPAT_RESOLUTION_PATH;
export const DAY = 86_400_000;

/** The service takes its own clock reading after the route's: allow that much between them. */
export function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1000, `${what}: ${actual} is not near ${expected}`);
}

export const ADMIN = basicAuth('admin', 'admin-password-1');
export const ALICE_PASSWORD = 'alice-password-1';
export const ALICE = basicAuth('alice', ALICE_PASSWORD);
export const BOB = basicAuth('bob', 'bob-password-1');
export const MIA = basicAuth('mia', 'mia-password-1');

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
  data: unknown;
}

export async function request(
  url: string,
  method: string,
  auth: string | null,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: text, data };
}

export interface CompatTokenBody {
  id: string;
  description: string;
  created: number;
  lastAccessed: number;
  validUntil: number;
  tokenScope: number;
  userKey: string;
}
export interface CompatPageBody {
  content: CompatTokenBody[];
  totalElements: number;
  totalPages: number;
  number: number;
  size: number;
  numberOfElements: number;
  first: boolean;
  last: boolean;
  empty: boolean;
}
export interface CreatedBody extends CompatTokenBody {
  plainTextToken: string;
  tokenExpirationDateTime: string | null;
  tokenExpirationDateTimeMillis: number;
}
export interface ErrorBody {
  errorMessage: string;
  error: { code: string; message: string; details?: Array<{ field: string }> };
}
export interface TokenView {
  id: string;
  user: string;
  description: string;
  status: string;
  scope: string;
  createdAt: string;
  expiresAt: string | null;
}

export type EchoUpstream = Awaited<ReturnType<typeof startEchoUpstream>>;

/**
 * A node with an echo upstream and three users: alice and bob (dev), and mia, a token manager. The
 * token limit is raised, because the suites create many tokens.
 */
export async function startCompatNode(): Promise<{ up: EchoUpstream; t: TestNode }> {
  const up = await startEchoUpstream();
  const t = await startTestNode(up.url);
  const users = t.node.ctx.users;
  await users.create(CLI_PRINCIPAL, cli, { username: 'alice', password: ALICE_PASSWORD, groups: ['dev'] });
  await users.create(CLI_PRINCIPAL, cli, { username: 'bob', password: 'bob-password-1', groups: ['dev'] });
  await users.create(CLI_PRINCIPAL, cli, {
    username: 'mia',
    password: 'mia-password-1',
    groups: ['token-managers'],
  });
  await t.settings({ 'permissions.manageAllTokens': ['token-managers'], 'tokens.maxPerUser': 100 });
  return { up, t };
}

/** A compat node a suite shares, with the two calls its route tests make most. */
export interface CompatSuite {
  readonly t: TestNode;
  readonly up: EchoUpstream;
  /** The URL of a path under the compatible API. */
  compat(path: string): string;
  /** The tokens the user behind `auth` sees through tokengate's own API. */
  ownTokens(auth: string): Promise<TokenView[]>;
}

/**
 * Starts a compat node before the enclosing suite and closes it after. Call it inside describe();
 * `t` and `up` may be read only once the suite's tests run.
 */
export function useCompatNode(): CompatSuite {
  let started: { up: EchoUpstream; t: TestNode } | undefined;
  const get = (): { up: EchoUpstream; t: TestNode } =>
    started ?? assert.fail('the compat node is read before the suite started it');
  before(async () => {
    started = await startCompatNode();
  });
  after(async () => {
    await started?.t.close();
    await started?.up.close();
  });
  return {
    get t() {
      return get().t;
    },
    get up() {
      return get().up;
    },
    compat: (path) => `${get().t.url}${COMPAT}${path}`,
    ownTokens: async (auth) =>
      ((await request(`${get().t.adminUrl}${API}/tokens`, 'GET', auth)).data as { items: TokenView[] }).items,
  };
}
