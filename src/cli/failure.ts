import { CommanderError } from 'commander';
import { AppError, type ErrorDetails } from '../domain/errors.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';
import { CliError, exitClassForCode, type ExitClass } from './exit-codes.js';

/** What went wrong, as the CLI reports it: the exit class, a code for JSON output and one line. */
export interface Failure {
  exitClass: ExitClass;
  /** A catalogue code (`not_found`, `conflict`, …) or the CLI's own (`usage`, `config`, `internal`). */
  code: string;
  message: string;
  details?: ErrorDetails;
  /** Already reported by the command: exit with the class's code and print nothing. */
  quiet?: boolean;
}

/**
 * ConfigError (config/readers.ts), DatabaseOpenError and MissingDatabaseError (store/open-errors.ts),
 * told apart by name so that the CLI does not load those modules (YAML, Kysely, SQLite) to start.
 */
const CONFIG_ERRORS = new Set(['ConfigError', 'DatabaseOpenError', 'MissingDatabaseError']);

/**
 * store/database.ts reports a database it cannot reach as a DatabaseOpenError with this message and
 * no cause; unreachable is not misconfigured (retrying can help), so it is told apart here.
 */
const CANNOT_CONNECT = /^cannot connect to the database at /;

/**
 * Commander's own errors: `--help` and `--version` end with 0; the rest are usage mistakes, including
 * a command group run without a subcommand (`tokengate token`), which prints the group's help.
 */
function commanderFailure(err: CommanderError): Failure {
  if (err.exitCode === 0) return { exitClass: 'ok', code: 'ok', message: '', quiet: true };
  const message =
    err.code === 'commander.help'
      ? 'a subcommand is required; run with --help for usage'
      : err.message.replace(/^error: /, '');
  return { exitClass: 'usage', code: 'usage', message };
}

/** Errors from Node and the drivers: a database that is down, a directory that cannot be used, a port. */
function systemFailure(e: NodeJS.ErrnoException): Failure {
  if (e.syscall === 'listen') {
    const exitClass = e.code === 'EACCES' ? 'permission' : 'unavailable';
    return {
      exitClass,
      code: exitClass === 'permission' ? 'forbidden' : 'unavailable',
      message: `cannot listen: ${e.message}`,
    };
  }
  if (e.path !== undefined && e.code !== undefined) {
    // A data, log or audit directory that cannot be created or written: a configuration problem.
    return { exitClass: 'config', code: 'config', message: `cannot use ${e.path}: ${e.code}` };
  }
  return { exitClass: 'internal', code: 'internal', message: `unexpected error: ${e.message}` };
}

/** Classes anything a command throws. The one place that maps errors to exit codes. */
export function toFailure(err: unknown): Failure {
  if (err instanceof CommanderError) return commanderFailure(err);
  if (err instanceof CliError)
    return {
      exitClass: err.exitClass,
      code: err.code,
      message: err.message,
      ...(err.details !== undefined ? { details: err.details } : {}),
      ...(err.quiet ? { quiet: true } : {}),
    };
  if (err instanceof AppError)
    return {
      exitClass: exitClassForCode(err.code),
      code: err.code,
      message: err.message,
      ...(err.details !== undefined ? { details: err.details } : {}),
    };
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException;
  if (e.name === 'MissingDatabaseError')
    return {
      exitClass: 'config',
      code: 'config',
      message: `${e.message}; run "tokengate init" (or "tokengate serve") to create one, or check --data-dir, --db, TOKENGATE_DATA_DIR and TOKENGATE_DB`,
    };
  if (e.name === 'DatabaseOpenError' && CANNOT_CONNECT.test(e.message))
    return { exitClass: 'unavailable', code: 'unavailable', message: e.message };
  if (CONFIG_ERRORS.has(e.name)) return { exitClass: 'config', code: 'config', message: e.message };
  if (e.name === 'DirectoryUnavailableError' || isDatabaseUnavailable(e))
    return { exitClass: 'unavailable', code: 'unavailable', message: e.message };
  return systemFailure(e);
}
