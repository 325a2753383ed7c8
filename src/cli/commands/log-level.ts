import type { Command } from 'commander';
import { invalidField } from '../../domain/errors.js';
import { LOGGER_NAME_PATTERN } from '../../domain/settings.js';
import { LOG_LEVELS, parseLogLevel } from '../../log/levels.js';
import { withBackend, type GlobalOptions } from '../context.js';
import { CliError } from '../exit-codes.js';
import { emit, outputFormat, printTable, type Io } from '../output.js';

/**
 * `tokengate log-level [LOGGER LEVEL]`: log levels live in the database, so a change applies on every
 * node at once and survives restarts; no log4j file to edit per node.
 */
export function logLevelCommand(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('log-level')
    .description("show the log levels, or set one logger's level on every node (audited)")
    .argument('[logger]', 'root, server, api, proxy, auth, auth.filter, ratelimit, store, …')
    .argument('[level]', `${LOG_LEVELS.join(', ')}, or inherit to use the parent's level`)
    .action(async (logger: string | undefined, levelText: string | undefined) => {
      if (logger !== undefined && !LOGGER_NAME_PATTERN.test(logger))
        throw invalidField('logger', `"${logger}" is not a logger name`);
      if (logger !== undefined && levelText === undefined)
        throw new CliError('usage', 'usage', 'level: give a level, or no logger to list them');
      const level = levelText === undefined || levelText === 'inherit' ? null : parseLogLevel(levelText);
      if (levelText !== undefined && levelText !== 'inherit' && level === null) {
        throw invalidField('level', `must be one of ${LOG_LEVELS.join(', ')} or inherit`);
      }
      if (logger === 'root' && level === null) throw invalidField('level', 'the root logger cannot inherit');
      const format = outputFormat(io, globals().output);
      await withBackend(io, globals(), async (backend) => {
        const current = await backend.logLevels();
        if (logger === undefined) {
          // JSON: the object `log.levels` holds, as `settings get log.levels` prints it.
          emit(io, format, current, () =>
            printTable(
              io,
              ['LOGGER', 'LEVEL'],
              Object.entries(current)
                .sort()
                .map(([n, l]) => [n, l]),
            ),
          );
          return;
        }
        await backend.setLogLevel(logger, level);
        // JSON: null for a logger that inherits.
        const old = current[logger] ?? null;
        emit(io, format, { logger, old, new: level }, () =>
          io.out(`${logger}: ${old ?? 'inherit'} -> ${level ?? 'inherit'}`),
        );
      });
    });
}
