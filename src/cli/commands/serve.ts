import cluster from 'node:cluster';
import type { Command } from 'commander';
import { invalidField } from '../../domain/errors.js';
import { VERSION } from '../../version.js';
import { configFlags, refuseRemoteFlags, type GlobalOptions } from '../context.js';
import type { Io } from '../output.js';
import type { Config } from '../../config/config.js';
import type { RunningNode } from '../../node.js';

interface ServeOptions {
  port?: string;
  host?: string;
  adminPort?: string;
  adminHost?: string;
  upstream?: string;
  nodeId?: string;
  redis?: string;
  workers?: string;
}

/** Restarts of a crashing worker are spaced by this much, so a broken node cannot spin. */
const RESTART_DELAY_MS = 1_000;

/**
 * `--workers N`: N processes on one port through node:cluster, each a node of its own
 * (`<nodeId>/w<n>`), sharing the database (and Redis, when configured) like separate machines.
 */
function runPrimary(workers: number, io: Io): void {
  let stopping = false;
  const fork = (n: number): void => {
    const w = cluster.fork({ TOKENGATE_WORKER: String(n) });
    w.on('exit', (code, signal) => {
      if (stopping) return;
      io.err(`tokengate: worker ${n} exited (${signal || String(code)}); restarting`);
      setTimeout(() => fork(n), RESTART_DELAY_MS);
    });
  };
  for (let n = 1; n <= workers; n++) fork(n);
  const stop = (): void => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Each worker reloads its own listeners' certificates.
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
}

/**
 * SIGHUP: the TLS listeners read their certificate and key files again, for new connections (open
 * ones keep theirs). A file that cannot be used keeps the old certificate; either way it is logged.
 */
function reloadTls(node: RunningNode): void {
  const log = node.logs.logger('server');
  const results = node.server.reloadTls();
  if (results.length === 0) log.info('SIGHUP received; no TLS listener to reload');
  for (const r of results) {
    if (r.error === null) log.info(`SIGHUP: ${r.listener} certificate and key reloaded`);
    else
      log.error(
        `SIGHUP: ${r.listener} certificate and key not reloaded, the old ones stay in use: ${r.error}`,
      );
  }
}

/** The start-up lines: where the node listens, what it protects, and where its UI and API are. */
function logListeners(node: RunningNode, config: Config): void {
  const log = node.logs.logger('server');
  const url = node.server.url;
  log.info(
    `tokengate ${VERSION} listening on ${url} (database: ${node.ctx.database.location}${config.redis ? ', Redis on' : ''})`,
  );
  log.info(
    node.demoUpstream
      ? `no upstream configured: proxying to the demo upstream "whoami" at ${node.upstream}; create a token and call ${url}/hello with it`
      : `proxying to ${node.upstream}`,
  );
  const admin = node.server.adminUrl;
  log.info(
    admin !== null
      ? `web UI: ${admin}/_tokengate/ ; management API: ${admin}/_tokengate/api/v1 (admin listener)`
      : config.adminHostName !== null
        ? `web UI and management API: on ${url} for host name ${config.adminHostName} only`
        : 'admin listener off (adminPort off, no adminHostName): no web UI or management API on this node',
  );
  log.info(
    `forward-auth: ${url}/_tokengate/auth ; health: ${url}/_tokengate/livez, ${url}/_tokengate/readyz`,
  );
  if (node.metricsUrl !== null)
    log.info(`metrics: ${node.metricsUrl}/metrics (metrics listener, no credentials)`);
}

export function serveCommand(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the gateway (reverse proxy and forward-auth), the web UI and the management API')
    .option('-p, --port <port>', 'TCP port (default 8080, env TOKENGATE_PORT)')
    .option('--host <host>', 'interface to listen on (default 0.0.0.0, env TOKENGATE_HOST)')
    .option(
      '--admin-port <port>',
      'port of the web UI and management API, or "off" (default 8001, env TOKENGATE_ADMIN_PORT)',
    )
    .option(
      '--admin-host <host>',
      'interface of the web UI and management API (default 127.0.0.1, env TOKENGATE_ADMIN_HOST)',
    )
    .option(
      '--upstream <url>',
      'the HTTP service to protect (env TOKENGATE_UPSTREAM); without it, a demo upstream',
    )
    .option('--node-id <id>', 'this node in logs and audit records (default hostname:port)')
    .option(
      '--redis <url>',
      'Redis for cluster-wide rate limits and instant change propagation (env TOKENGATE_REDIS)',
    )
    .option('--workers <n>', 'run N processes on this port (node:cluster); default 1')
    .action(async (o: ServeOptions) => {
      refuseRemoteFlags(globals(), 'serve');
      const workers = o.workers === undefined ? 1 : Number(o.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64)
        throw invalidField('--workers', 'must be an integer from 1 to 64');
      // The whole server loads here, not when the CLI starts: other commands never load it.
      const [{ loadConfig }, { startNode }, { readTlsMaterial }] = await Promise.all([
        import('../../config/config.js'),
        import('../../node.js'),
        import('../../config/tls.js'),
      ]);
      const config = loadConfig({
        ...configFlags(globals()),
        port: o.port,
        host: o.host,
        adminPort: o.adminPort,
        adminHost: o.adminHost,
        upstream: o.upstream,
        nodeId: o.nodeId,
        redis: o.redis,
      });
      // Unreadable certificate files stop the command here, before anything starts (exit 78).
      readTlsMaterial(config.tls, 'tls');
      if (config.adminPort !== null) readTlsMaterial(config.adminTls, 'adminTls');
      if (workers > 1 && cluster.isPrimary) {
        io.err(`tokengate ${VERSION}: starting ${workers} workers on port ${config.port}`);
        runPrimary(workers, io);
        return;
      }
      const worker = process.env.TOKENGATE_WORKER;
      if (worker !== undefined) config.nodeId = `${config.nodeId}/w${worker}`;
      // Listen for signals before starting: a node stopped while it starts (it has registered in
      // the cluster, its audit writer is starting) still shuts down in order, once it is up.
      const early: { signal: string | null } = { signal: null };
      let stop = (signal: string): void => {
        early.signal ??= signal;
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      // SIGHUP never stops the node (its default action would): before start-up it has nothing to do.
      let hangUp = (): void => undefined;
      process.on('SIGHUP', () => hangUp());
      const node = await startNode(config, {
        show: (t) => io.err(t),
        thread: worker === undefined ? 'main' : `worker-${worker}`,
      });
      const log = node.logs.logger('server');
      logListeners(node, config);
      let stopping = false;
      stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info(`${signal} received, shutting down`);
        void node.close().then(() => process.exit(0));
      };
      hangUp = () => reloadTls(node);
      if (early.signal !== null) stop(early.signal);
    });
}
