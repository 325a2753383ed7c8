import type { Command } from 'commander';
import { bootstrap, openApp } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { startServer } from '../../http/server.js';
import { consoleLogger } from '../../log/logger.js';
import { VERSION } from '../../version.js';
import type { GlobalOptions } from '../context.js';
import type { Io } from '../output.js';

export function serveCommand(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the gateway and the management API')
    .option('--port <port>', 'TCP port (default 8080, env TOKENGATE_PORT)')
    .option('--host <host>', 'interface to listen on (default 0.0.0.0, env TOKENGATE_HOST)')
    .option('--upstream <url>', 'the HTTP service to protect (env TOKENGATE_UPSTREAM)')
    .option('--node-id <id>', 'this node in logs and audit records (default hostname:port)')
    .action(async (o: { port?: string; host?: string; upstream?: string; nodeId?: string }) => {
      const config = loadConfig({
        ...globals(),
        port: o.port,
        host: o.host,
        upstream: o.upstream,
        nodeId: o.nodeId,
      });
      const log = consoleLogger(config.nodeId);
      const ctx = await openApp(config, { log });
      await bootstrap(ctx, (t) => io.err(t));
      const running = await startServer(ctx);
      log.info(`tokengate ${VERSION} listening on ${running.url} (database: ${ctx.database.location})`);
      log.info(
        `management API: ${running.url}/_tokengate/api/v1 (OpenAPI at /_tokengate/api/v1/openapi.json)`,
      );
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info(`${signal} received, shutting down`);
        void running
          .close()
          .then(() => ctx.close())
          .then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
