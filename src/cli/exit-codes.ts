import { ERROR_CATALOGUE, type ErrorCode, type ErrorDetails } from '../domain/errors.js';

/**
 * The exit codes of `tokengate`, one per class of failure, so that a script can tell "no such
 * token" from "the database is down" without parsing messages. The numbers are BSD sysexits(3)
 * codes where one means the class (EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_SOFTWARE,
 * EX_NOPERM, EX_CONFIG); sysexits has none for a conflict, so it takes 79, the first code after
 * sysexits' range, which means nothing else. docs/cli.md ("Exit codes") shows this table; a test
 * checks that the two agree.
 */
export const EXIT_CODES = {
  /** Success, `--help` and `--version`. */
  ok: 0,
  /** The answer is "no": `audit verify` found a broken chain; a person declined a confirmation. */
  failed: 1,
  /** EX_USAGE: an unknown command or option, a missing or extra argument, a destructive command without --yes. */
  usage: 64,
  /** EX_DATAERR: a value the command refuses: a bad flag value, a setting that does not validate, a policy limit. */
  validation: 65,
  /** EX_NOINPUT: the user, token or other object named does not exist. */
  notFound: 66,
  /** EX_UNAVAILABLE: the database (or another service) cannot be reached or is busy; retrying can help. */
  unavailable: 69,
  /** EX_SOFTWARE: an unexpected error, a bug. */
  internal: 70,
  /** EX_NOPERM: the credentials do not allow the call. */
  permission: 77,
  /** EX_CONFIG: the configuration is wrong: a bad config file or variable, no database where one was expected. */
  config: 78,
  /** The change conflicts with the current state: the user exists, the last admin, a revoked token. */
  conflict: 79,
} as const;

export type ExitClass = keyof typeof EXIT_CODES;

/**
 * The class of an HTTP status. The error catalogue's codes are classed through their status, so a
 * code added to the catalogue is classed without a change here, and a remote backend can class an
 * API answer it has only the status of.
 */
export function exitClassForStatus(status: number): ExitClass {
  if (status === 401 || status === 403) return 'permission';
  if (status === 404) return 'notFound';
  if (status === 409 || status === 412) return 'conflict';
  // A request that timed out, was rate limited, or met a dependency that is down: try again later.
  if (status === 408 || status === 429 || status >= 502) return 'unavailable';
  if (status >= 400 && status < 500) return 'validation';
  return 'internal';
}

/** The class of a catalogue code, e.g. `not_found` → `notFound`. */
export function exitClassForCode(code: ErrorCode): ExitClass {
  return exitClassForStatus(ERROR_CATALOGUE[code].status);
}

/**
 * A failure the CLI itself decides, with its class and a machine-readable code for JSON output
 * (`{"error":{"code":"usage",…}}`). `quiet` ends the command with the class's exit code without a
 * message, when the command has already printed its verdict (`audit verify`).
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitClass: ExitClass;
  readonly code: string;
  readonly details: ErrorDetails | undefined;
  readonly quiet: boolean;

  constructor(
    exitClass: ExitClass,
    code: string,
    message: string,
    opts: { details?: ErrorDetails; quiet?: boolean } = {},
  ) {
    super(message);
    this.exitClass = exitClass;
    this.code = code;
    this.details = opts.details;
    this.quiet = opts.quiet === true;
  }
}
