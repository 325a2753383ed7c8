import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import type { TokenRequest } from '../../src/domain/token/policy.js';
import { buildApi, type Api } from '../../src/http/api/app.js';
import { memorySink } from '../../src/log/sinks.js';
import { startNode, type RunningNode } from '../../src/node.js';
import { systemContext } from '../../src/services/context.js';
import { VERSION } from '../../src/version.js';
import {
  collecting,
  recordArtifact,
  recordAudit,
  recordAuthorization,
  recordLogDir,
  watchContext,
} from './artifacts.js';

export const cli = systemContext('@cli');

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A real upstream that records what reached it and answers with a small JSON body. */
export async function startEchoUpstream(): Promise<{
  url: string;
  seen: SeenRequest[];
  server: Server;
  close(): Promise<void>;
}> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ ok: true, url: req.url });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream': 'echo',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface TestNode {
  node: RunningNode;
  /** The gateway's listener. */
  url: string;
  /** The admin listener: web UI, sign-in, management API, metrics. */
  adminUrl: string;
  /** Every log line written so far, in the default layout. */
  lines: string[];
  dir: string;
  tokenFor(user: string, req?: Partial<TokenRequest>): Promise<{ token: string; id: string }>;
  settings(change: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** Starts a whole serving node on a free loopback port with its own data directory. */
export async function startTestNode(
  upstream: string | null,
  configure: (c: Config) => void = () => undefined,
): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-node-'));
  const config = loadConfig(
    { dataDir: dir, port: 0, host: '127.0.0.1', nodeId: 'test-node', ...(upstream ? { upstream } : {}) },
    { TOKENGATE_ADMIN_PASSWORD: 'admin-password-1' },
  );
  config.log.console = false;
  config.lastUsedFlushMs = 100;
  configure(config);
  const sink = memorySink();
  const node = await startNode(config, { show: () => undefined, sinks: [sink] });
  watchContext(node.ctx);
  // Authentication lines are INFO, as the seed product logs them once its package is set to INFO.
  await node.ctx.settings.update(CLI_PRINCIPAL, cli, {
    'log.levels': { root: 'INFO', auth: 'INFO', ratelimit: 'INFO' },
  });
  return {
    node,
    url: node.server.url,
    adminUrl: node.server.adminUrl ?? '',
    lines: sink.lines,
    dir,
    tokenFor: async (user, req = {}) => {
      const r = await node.ctx.tokens.create(CLI_PRINCIPAL, cli, user, {
        description: `${user} token`,
        scope: 'write',
        ...req,
      });
      return { token: r.token, id: r.record.id };
    },
    settings: async (change) => {
      await node.ctx.settings.update(CLI_PRINCIPAL, cli, change);
    },
    close: async () => {
      if (collecting) {
        // What this node produced, for the whole suite's secrets scan (scripts/scan-secrets.mjs).
        await node.runtime.auditQueue.flush().catch(() => undefined);
        await recordAudit(`startTestNode ${dir}`, node.ctx).catch(() => undefined);
        recordArtifact('metrics', `startTestNode ${dir}`, await node.runtime.metrics.registry.metrics());
      }
      await node.close();
      recordLogDir(`startTestNode ${dir}`, config.log.dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Change lines (a setting, token or user changed): the INFO line each audited change also writes. */
const CHANGE_LINE = / \[(settings|logging|tokens|users)\] /;

/**
 * Log lines without the change lines, trimmed: what a test of authentication lines looks at, without
 * the lines of the settings it changes on the way.
 */
export function authLines(lines: readonly string[]): string[] {
  return lines.map((l) => l.trimEnd()).filter((l) => !CHANGE_LINE.test(l));
}

export function basicAuth(user: string, secret: string): string {
  const value = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  recordAuthorization(value);
  return value;
}

/**
 * A second API over a running node's context (not listening): for suites that add a hook before its
 * plugins load, or change what the API is built with (`extra`).
 */
export function secondApi(t: TestNode, extra: Partial<Parameters<typeof buildApi>[0]> = {}): Api {
  const { ctx } = t.node;
  return buildApi({
    store: ctx.store,
    tokens: ctx.tokens,
    users: ctx.users,
    settings: ctx.settings,
    authenticator: ctx.authenticator,
    sessions: ctx.sessions,
    nodeId: ctx.config.nodeId,
    version: VERSION,
    now: ctx.now,
    logError: () => undefined,
    ...extra,
  });
}
