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
