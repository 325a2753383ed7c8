import { processIo, type Io } from './output.js';

/** Where progress goes: a terminal's stderr. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A one-line progress display on a terminal: redrawn at most every `intervalMs`, first after
 * `intervalMs` (quick runs show nothing), and erased by `clear()`. Silent when the stream is not a TTY.
 */
export class Progress {
  private last: number;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: (n: number) => string,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 200,
  ) {
    this.last = now();
  }

  update(n: number): void {
    if (this.stream.isTTY !== true) return;
    const t = this.now();
    if (t - this.last < this.intervalMs) return;
    this.last = t;
    this.shown = true;
    this.stream.write(`\r\x1b[K${this.label(n)}`);
  }

  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.stream.write('\r\x1b[K');
  }
}

/** Progress on the real stderr, only when output goes to the process streams and stderr is a terminal. */
export function progressFor(io: Io, label: (n: number) => string): Progress {
  const silent: ProgressStream = { isTTY: false, write: () => true };
  return new Progress(io === processIo ? process.stderr : silent, label);
}
