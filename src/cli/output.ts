import { Option } from 'commander';
import type { Failure } from './failure.js';

/** Output helpers for the CLI: results go to stdout, messages to stderr. */

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Writes a line unless the stream's reader has gone (then the line has nowhere to go). */
function writeLine(stream: NodeJS.WriteStream, text: string): void {
  if (stream.destroyed) return;
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const processIo: Io = {
  out: (t) => writeLine(process.stdout, t),
  err: (t) => writeLine(process.stderr, t),
};

let closedReadersQuiet = false;

/**
 * A reader that stops early (`tokengate token list | head -1`) closes the pipe: the next write fails
 * with EPIPE, which Node reports as an 'error' event and, without a listener, a crash with a stack
 * trace. Like `git log | head`, the command then ends quietly: the stream is destroyed by the failed
 * write, so later lines are dropped (writeLine), and the command finishes with its own exit code.
 * Installed once, by the process entry point, for the process's own streams.
 */
export function quietOnClosedReader(): void {
  if (closedReadersQuiet) return;
  closedReadersQuiet = true;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A plain aligned table; cells never contain newlines. */
export function printTable(io: Io, headers: string[], rows: string[][]): void {
  const clean = (s: string): string => s.replace(/[\r\n\t]/g, ' ');
  const all = [headers, ...rows.map((r) => r.map(clean))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const r of all)
    io.out(
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
}

export function shortDate(iso: string | null): string {
  return iso === null ? '-' : iso.slice(0, 16).replace('T', ' ');
}

/**
 * `-o table` (the default) prints aligned columns for people; `-o json` prints one JSON document for
 * scripts: a list is an array, one object is an object, the same for every command (docs/cli.md,
 * "Output"). Streams of records in a file format are `audit export --format jsonl|csv`, not `-o`.
 */
export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The output format the arguments ask for, read before parsing, so that a usage error (an unknown
 * option, a missing argument) is reported as JSON too when `-o json` is on the line. The deprecated
 * `--json` counts. Arguments after `--` are operands.
 */
export function outputFormatInArgs(argv: readonly string[]): OutputFormat {
  let format: OutputFormat = 'table';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    let value: string | undefined;
    if (a === '-o' || a === '--output') value = argv[++i];
    else if (a?.startsWith('--output=')) value = a.slice('--output='.length);
    else if (a?.startsWith('-o') && !a.startsWith('--')) value = a.slice(2);
    else if (a === '--json') value = 'json';
    if (value === 'json' || value === 'table') format = value;
  }
  return format;
}

/**
 * The format of a command's output: `-o`, or the deprecated `--json` of the commands that had it,
 * which says so on stderr (stdout stays clean for the script that used it).
 */
export function outputFormat(io: Io, global: OutputFormat | undefined, json?: boolean): OutputFormat {
  if (json === true) {
    io.err('tokengate: --json is deprecated; use -o json (--output json)');
    return 'json';
  }
  return global ?? 'table';
}

/** `--json`, kept hidden on the commands that had it before `-o json`: same as `-o json`, with a note. */
export function deprecatedJsonOption(): Option {
  return new Option('--json', 'deprecated: use -o json').hideHelp();
}

/** Prints `value` as JSON, or calls `table` to print it for people. */
export function emit(io: Io, format: OutputFormat, value: unknown, table: () => void): void {
  if (format === 'json') printJson(io, value);
  else table();
}

/**
 * Reports a failure on stderr: `tokengate: <message>`, or with `-o json` the management API's error
 * shape, `{"error":{"code":…,"message":…,"details"?:…}}`, on one line, so that a script reads
 * errors the way it reads the API's.
 */
export function reportFailure(io: Io, format: OutputFormat, f: Failure): void {
  if (f.quiet === true) return;
  if (format === 'json') {
    const error = {
      code: f.code,
      message: f.message,
      ...(f.details !== undefined ? { details: f.details } : {}),
    };
    io.err(JSON.stringify({ error }));
    return;
  }
  io.err(`tokengate: ${f.message}`);
}
