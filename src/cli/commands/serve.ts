import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { startNode } from '../../node.js';
import { VERSION } from '../../version.js';
import type { GlobalOptions } from '../context.js';
import type { Io } from '../output.js';

export function serveCommand(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the gateway (reverse proxy and forward-auth) and the management API')
    .option('--port <port>', 'TCP port (default 8080, env TOKENGATE_PORT)')
    .option('--host <host>', 'interface to listen on (default 0.0.0.0, env TOKENGATE_HOST)')
    .option(
      '--upstream <url>',
      'the HTTP service to protect (env TOKENGATE_UPSTREAM); without it, a demo upstream',
    )
    .option('--node-id <id>', 'this node in logs and audit records (default hostname:port)')
    .action(async (o: { port?: string; host?: string; upstream?: string; nodeId?: string }) => {
      const config = loadConfig({
        ...globals(),
        port: o.port,
        host: o.host,
        upstream: o.upstream,
        nodeId: o.nodeId,
      });
      const node = await startNode(config, { show: (t) => io.err(t) });
      const log = node.logs.logger('server');
      const url = node.server.url;
      log.info(`tokengate ${VERSION} listening on ${url} (database: ${node.ctx.database.location})`);
      log.info(
        node.demoUpstream
          ? `no upstream configured: proxying to the demo upstream "whoami" at ${node.upstream}; create a token and call ${url}/hello with it`
          : `proxying to ${node.upstream}`,
      );
      log.info(
        `management API: ${url}/_tokengate/api/v1 (OpenAPI at /_tokengate/api/v1/openapi.json); forward-auth: ${url}/_tokengate/auth`,
      );
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info(`${signal} received, shutting down`);
        void node.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
