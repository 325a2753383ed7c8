import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { bootstrap, openApp, type AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import type { Api } from '../../src/http/api/app.js';
import { createApi } from '../../src/http/server.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemContext } from '../../src/services/context.js';
import { recordArtifact, recordAudit, recordAuthorization, watchContext } from './artifacts.js';

export const ADMIN_PASSWORD = 'admin-password-1';
export const API = '/_tokengate/api/v1';

export interface Harness {
  ctx: AppContext;
  api: Api;
  /** Creates a user directly through the service, as an admin would. */
  addUser(username: string, groups?: string[], password?: string): Promise<void>;
  /** Creates a token for a user through the service and returns the plain token and its id. */
  tokenFor(
    username: string,
    scope?: 'read' | 'write',
    extra?: Record<string, unknown>,
  ): Promise<{ token: string; id: string }>;
  close(): Promise<void>;
}

export function basic(user: string, secret: string): string {
  const value = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  recordAuthorization(value);
  return value;
}

export function bearer(token: string): string {
  recordAuthorization(`Bearer ${token}`);
  return `Bearer ${token}`;
}

/** A fresh app on in-memory SQLite with the admin user bootstrapped. */
export async function harness(opts: { uiDir?: string } = {}): Promise<Harness> {
  const config = loadConfig(
    { db: ':memory:', nodeId: 'test-node' },
    { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD },
  );
  const ctx = await openApp(config, { log: silentLogger });
  watchContext(ctx);
  await bootstrap(ctx, () => undefined);
  const api = await createApi(ctx, opts.uiDir ? { uiDir: opts.uiDir } : {});
  const cli = systemContext('@cli');
  return {
    ctx,
    api,
    addUser: async (username, groups = [], password) => {
      await ctx.users.create(CLI_PRINCIPAL, cli, { username, groups, ...(password ? { password } : {}) });
    },
    tokenFor: async (username, scope = 'write', extra = {}) => {
      const r = await ctx.tokens.create(CLI_PRINCIPAL, cli, username, {
        description: `${username} ${scope}`,
        scope,
        ...extra,
      });
      return { token: r.token, id: r.record.id };
    },
    close: async () => {
      await recordAudit('harness', ctx).catch(() => undefined);
      await api.close();
      await ctx.close();
    },
  };
}

/**
 * A Harness that hands every member on to the one `get` returns, read when a test uses it: suites
 * declare it at describe() time and start the real one in before().
 */
export function harnessHandle(get: () => Harness): Harness {
  return {
    get ctx() {
      return get().ctx;
    },
    get api() {
      return get().api;
    },
    addUser: (...args) => get().addUser(...args),
    tokenFor: (...args) => get().tokenFor(...args),
    close: () => get().close(),
  };
}

/**
 * A harness for the enclosing describe(): started (then `setup` run on it) before its tests, closed
 * after them.
 */
export function useHarness(setup: (h: Harness) => Promise<void> = async () => undefined): Harness {
  let started: Harness | undefined;
  before(async () => {
    started = await harness();
    await setup(started);
  });
  after(() => started?.close());
  return harnessHandle(() => started ?? assert.fail('the harness is read before its suite started it'));
}

export interface Call {
  method: InjectOptions['method'];
  url: string;
  auth?: string;
  body?: unknown;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

export async function call(api: Api, c: Call): Promise<LightMyRequestResponse & { data: unknown }> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.auth) {
    headers.authorization = c.auth;
    recordAuthorization(c.auth);
  }
  const opts: InjectOptions = {
    method: c.method,
    url: c.url.startsWith('/_tokengate') ? c.url : `${API}${c.url}`,
    headers,
  };
  if (c.body !== undefined) {
    if (typeof c.body === 'string') {
      opts.payload = c.body;
      headers['content-type'] ??= 'application/json';
    } else opts.payload = c.body as Record<string, unknown>;
  }
  if (c.remoteAddress) opts.remoteAddress = c.remoteAddress;
  const res = await api.inject(opts);
  if (res.statusCode >= 400) recordArtifact('error-body', `harness ${res.statusCode}`, res.body);
  let data: unknown = null;
  try {
    data = res.body.length > 0 ? (JSON.parse(res.body) as unknown) : null;
  } catch {
    data = res.body;
  }
  return Object.assign(res, { data });
}
