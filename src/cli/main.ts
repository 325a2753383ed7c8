import { Command, CommanderError } from 'commander';
import { AppError } from '../domain/errors.js';
import { VERSION } from '../version.js';
import { auditCommands } from './commands/audit.js';
import { logLevelCommand } from './commands/log-level.js';
import { clusterCommands } from './commands/cluster.js';
import { initCommand } from './commands/init.js';
import { logStyleCommand } from './commands/log-style.js';
import { serveCommand } from './commands/serve.js';
import { settingsCommands } from './commands/settings.js';
import { tokenCommands } from './commands/token.js';
import { userCommands } from './commands/user.js';
import type { GlobalOptions } from './context.js';
import { processIo, quietOnClosedReader, type Io } from './output.js';

/** Builds the command tree; `io` lets tests capture output. */
export function buildProgram(io: Io): Command {
  const program = new Command('tokengate')
    .description('API token authentication for any HTTP service')
    .version(VERSION)
    .option('--config <file>', 'YAML config file (env TOKENGATE_CONFIG)')
    .option('--data-dir <dir>', 'where the SQLite database lives (default ./data, env TOKENGATE_DATA_DIR)')
    .option('--db <url>', 'a SQLite file or postgres:// URL (env TOKENGATE_DB)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  serveCommand(program, io, globals);
  initCommand(program, io, globals);
  userCommands(program, io, globals);
  tokenCommands(program, io, globals);
  settingsCommands(program, io, globals);
  auditCommands(program, io, globals);
  logLevelCommand(program, io, globals);
  logStyleCommand(program, io, globals);
  clusterCommands(program, io, globals);
  for (const cmd of program.commands)
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  return program;
}

/** The exit code of a configuration problem (sysexits EX_CONFIG): bad config, no database, unusable directory. */
export const EXIT_CONFIG = 78;

/**
 * ConfigError (config/config.ts), DatabaseOpenError and MissingDatabaseError (store/database.ts),
 * told apart by name so that the CLI does not load those modules (YAML, Kysely, SQLite) to start.
 */
const CONFIG_ERRORS = new Set(['ConfigError', 'DatabaseOpenError', 'MissingDatabaseError']);

/**
 * Runs the CLI and returns the exit code. Errors print one clear line. Each command loads what it
 * needs when it runs (see withApp), so the command tree itself loads little.
 */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  if (io === processIo) quietOnClosedReader();
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof AppError) {
      io.err(`tokengate: ${err.message}`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'MissingDatabaseError') {
      io.err(
        `tokengate: ${e.message}; run "tokengate init" (or "tokengate serve") to create one, or check --data-dir, --db, TOKENGATE_DATA_DIR and TOKENGATE_DB`,
      );
      return EXIT_CONFIG;
    }
    if (CONFIG_ERRORS.has(e.name)) {
      io.err(`tokengate: ${e.message}`);
      return EXIT_CONFIG;
    }
    if (e.syscall !== 'listen' && e.path !== undefined && e.code !== undefined) {
      // A data, log or audit directory that cannot be created or written: a configuration problem.
      io.err(`tokengate: cannot use ${e.path}: ${e.code}`);
      return EXIT_CONFIG;
    }
    if (e.syscall === 'listen') {
      io.err(`tokengate: cannot listen: ${e.message}`);
      return 1;
    }
    io.err(`tokengate: unexpected error: ${e.message}`);
    return 70;
  }
}
