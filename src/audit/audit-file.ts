import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { chmod, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRecord } from '../domain/audit/audit.js';
import { describeError } from '../log/layout.js';
import { RotatingFileSink } from '../log/rotating-file.js';
import { auditJsonLine } from './export.js';
import type { AuditOutput } from './output.js';

export const AUDIT_FILE_NAME = 'audit.jsonl';

export interface AuditFileOptions {
  /** Directory of audit.jsonl, created on first use. */
  dir: string;
  /** Rotate before a record would make the file larger than this. */
  maxSizeMb: number;
  /** Rotated files kept beside the live one (`audit.jsonl.1` newest). */
  maxFiles: number;
  /** Told about write and rotation failures. Default: one line on stderr. */
  onError?: (message: string, err?: unknown) => void;
}

function reportToStderr(message: string, err?: unknown): void {
  const why = err === undefined ? '' : `: ${describeError(err)}`;
  process.stderr.write(`tokengate: ${message}${why}\n`);
}

/** Files of the audit directory are for the service user only, whatever the process umask. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** The last `n` bytes of the file, or null when it is shorter or cannot be read. */
async function tail(path: string, n: number): Promise<Buffer | null> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < n) return null;
      const buf = Buffer.alloc(n);
      const { bytesRead } = await handle.read(buf, 0, n, size - n);
      return bytesRead === n ? buf : null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/**
 * The audit file output: `<dir>/audit.jsonl`, one JSON object per line in the shape of the JSON lines
 * export (every field, `time` in ISO 8601 UTC with milliseconds), rotated by size and count.
 *
 * The log's RotatingFileSink does the writing and rotating, but it drops records on a failing disk
 * rather than report them to the writer. So after each batch this checks that the file ends with the
 * batch's last line (rotation happens before a line, never after the last one), and rejects if not:
 * the shipper then writes the batch again. After a failure the file is opened afresh, which also
 * follows an operator who moved or removed it. A batch cut short may leave a partial line; the next
 * write starts on a fresh line so that the records after it stay readable.
 */
export class AuditFile implements AuditOutput {
  readonly name = 'file';
  readonly path: string;
  private sink: RotatingFileSink;
  private suspect = false;
  private closed = false;

  constructor(private readonly options: AuditFileOptions) {
    this.path = join(options.dir, AUDIT_FILE_NAME);
    this.restrict();
    this.sink = this.openSink();
  }

  /**
   * Creates the directory 0700 and the file 0600 before the sink opens it (the sink creates files
   * with the umask's mode). Rotated copies are renames of the file, so they keep its mode; the
   * fresh file after a rotation is set to 0600 after the batch that rotated (write()).
   */
  private restrict(): void {
    try {
      mkdirSync(this.options.dir, { recursive: true, mode: DIR_MODE });
      chmodSync(this.options.dir, DIR_MODE);
      closeSync(openSync(this.path, 'a', FILE_MODE));
      chmodSync(this.path, FILE_MODE);
    } catch (err) {
      (this.options.onError ?? reportToStderr)(
        `audit file: restricting ${this.path} to its owner failed`,
        err,
      );
    }
  }

  private openSink(): RotatingFileSink {
    const onError = this.options.onError;
    return new RotatingFileSink(this.path, {
      maxBytes: this.options.maxSizeMb * 1024 * 1024,
      maxFiles: this.options.maxFiles,
      // Each sink reports its first failure; the sinks that replace it during the same outage keep quiet.
      onError: (message: string, err?: unknown) => {
        if (!this.suspect) (onError ?? reportToStderr)(`audit file: ${message}`, err);
      },
    });
  }

  async write(records: readonly AuditRecord[]): Promise<void> {
    if (this.closed) throw new Error(`the audit file ${this.path} is closed`);
    if (records.length === 0) return;
    if (this.suspect) {
      const end = await tail(this.path, 1);
      if (end !== null && end[0] !== 0x0a) this.sink.write('\n');
    }
    let last = '';
    for (const r of records) {
      last = auditJsonLine(r);
      this.sink.write(last);
    }
    await this.sink.flush();
    // A rotation during the batch created a fresh file with the umask's mode.
    await chmod(this.path, FILE_MODE).catch(() => undefined);
    const end = await tail(this.path, Buffer.byteLength(last));
    this.suspect = end === null || !end.equals(Buffer.from(last));
    if (!this.suspect) return;
    await this.reopen();
    throw new Error(`writing ${records.length} records to the audit file ${this.path} failed`);
  }

  /** A fresh sink opens the path again on its next write, wherever the old one's file went. */
  private async reopen(): Promise<void> {
    if (this.closed) return;
    const broken = this.sink;
    this.sink = this.openSink();
    await broken.close();
  }

  close(): Promise<void> {
    this.closed = true;
    return this.sink.close();
  }
}
