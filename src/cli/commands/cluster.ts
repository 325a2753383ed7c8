import type { Command } from 'commander';
import { HEARTBEAT_MS } from '../../cluster/heartbeat.js';
import { localOnly, withApp, type GlobalOptions } from '../context.js';
import { deprecatedJsonOption, outputFormat, printJson, printTable, shortDate, type Io } from '../output.js';

export function clusterCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const cluster = program.command('cluster').description('inspect the nodes that share this database');
  cluster
    .command('status')
    .description('list the nodes: id, version, started, last heartbeat, live or stale, Redis')
    .addOption(deprecatedJsonOption())
    .action(async (o: { json?: boolean }) => {
      const format = outputFormat(io, globals().output, o.json);
      /** A node is live while its last heartbeat is newer than three beats. */
      const liveMs = 3 * HEARTBEAT_MS;
      await localOnly(io, globals(), 'cluster status');
      await withApp(io, globals(), async (ctx) => {
        const now = ctx.now();
        const nodes = (await ctx.store.nodes.list()).map((n) => ({
          ...n,
          live: now - n.lastHeartbeat < liveMs,
          startedAt: new Date(n.startedAt).toISOString(),
          lastHeartbeat: new Date(n.lastHeartbeat).toISOString(),
        }));
        if (format === 'json') {
          printJson(io, nodes);
          return;
        }
        if (nodes.length === 0) {
          io.err('no serving node has announced itself');
          return;
        }
        printTable(
          io,
          ['NODE', 'STATE', 'VERSION', 'STARTED', 'LAST HEARTBEAT', 'PID', 'REDIS'],
          nodes.map((n) => [
            n.id,
            n.live ? 'live' : 'stale',
            n.version,
            shortDate(n.startedAt),
            n.lastHeartbeat.replace('T', ' ').slice(0, 19),
            String(n.pid),
            n.redis ? 'up' : '-',
          ]),
        );
      });
    });
}
