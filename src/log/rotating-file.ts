import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError } from './layout.js';
import type { LogSink } from './sinks.js';

export interface RotatingFileOptions {
  /** Rotate before a record would make the file larger than this. A single larger record still fits. */
  maxBytes: number;
  /** Rotated files kept beside the live one (`path.1` newest … `path.N` oldest); 0 keeps none. */
  maxFiles: number;
  /**
   * Records waiting for the disk beyond which new ones are dropped, so that a stalled disk cannot
   * exhaust memory. Default {@link DEFAULT_MAX_QUEUED_LINES}.
   */
  maxQueuedLines?: number;
  /** Told about a failure once per outage. Default: one line on stderr. */
  onError?: (message: string, err?: unknown) => void;
}

/** Directories the sink creates, and the files: for the service user only (the umask is the host's). */
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** About 30 MB of typical records. */
export const DEFAULT_MAX_QUEUED_LINES = 100_000;

interface Waiter {
  upTo: number;
  resolve: () => void;
}

function reportToStderr(message: string, err?: unknown): void {
  process.stderr.write(`tokengate: ${message}${err === undefined ? '' : `: ${describeError(err)}`}\n`);
}

/**
 * Appends records to `path`, rotating it to `path.1`, `path.2` … when it would pass `maxBytes`.
 *
 * `write` only queues: a single drain loop writes batches with `fs/promises`, so records reach the file
 * in order and rotation happens between two records, never inside one. The directory and the file are
 * created on first use (or by {@link open}); an existing file is appended to and its size counted.
 *
 * A failing disk never crashes the caller: the failure is reported once, records are dropped until a
 * write succeeds again, and then the number dropped is reported.
 */
export class RotatingFileSink implements LogSink {
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly maxQueued: number;
  private readonly onError: (message: string, err?: unknown) => void;

  private queue: string[] = [];
  private draining = false;
  private closed = false;
  private handle: FileHandle | undefined;
  private size = 0;
  /** Records accepted by `write` and records processed (written or dropped) by the drain loop. */
  private accepted = 0;
  private processed = 0;
  private waiters: Waiter[] = [];
  private failing = false;
  private dropped = 0;
  private rotationFailing = false;
  private opening: Promise<void> | undefined;

  constructor(
    readonly path: string,
    options: RotatingFileOptions,
  ) {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    if (!Number.isSafeInteger(options.maxFiles) || options.maxFiles < 0) {
      throw new RangeError(`maxFiles must be a non-negative integer, got ${options.maxFiles}`);
    }
    this.maxBytes = options.maxBytes;
    this.maxFiles = options.maxFiles;
    this.maxQueued = options.maxQueuedLines ?? DEFAULT_MAX_QUEUED_LINES;
    if (!Number.isSafeInteger(this.maxQueued) || this.maxQueued < 1) {
      throw new RangeError(`maxQueuedLines must be a positive integer, got ${this.maxQueued}`);
    }
    this.onError = options.onError ?? reportToStderr;
  }

  /**
   * Opens the file now, rejecting if it cannot be, so that start-up can fail fast on an unwritable
   * path. Meant to be called before the first write; afterwards it only waits for a flush.
   */
  open(): Promise<void> {
    if (this.draining || this.handle !== undefined) return this.flush();
    this.draining = true;
    this.opening = this.openFile()
      .then((handle) => {
        this.handle = handle;
      })
      .finally(() => {
        this.opening = undefined;
        this.draining = false;
        this.startDrain();
      });
    return this.opening;
  }

  write(line: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.fail(`log file ${this.path}: more than ${this.maxQueued} records waiting, dropping records`);
      this.dropped++;
      return;
    }
    this.queue.push(line);
    this.accepted++;
    this.startDrain();
  }

  flush(): Promise<void> {
    if (this.processed >= this.accepted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.accepted, resolve }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    await this.flush();
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) {
      await handle.close().catch((err: unknown) => this.fail(`closing log file ${this.path} failed`, err));
    }
  }

  private startDrain(): void {
    if (this.draining || this.queue.length === 0) return;
    this.draining = true;
    void this.drain();
  }

  /** The only writer of the file: one batch at a time, so records stay in order. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.writeBatch(batch);
        this.processed += batch.length;
        this.settleWaiters();
      }
    } finally {
      this.draining = false;
    }
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.upTo <= this.processed) w.resolve();
      else waiting.push(w);
    }
    this.waiters = waiting;
  }

  /** Writes a batch, rotating between records as needed. Never rejects: a failure drops the rest. */
  private async writeBatch(lines: string[]): Promise<void> {
    let done = 0;
    try {
      let handle = (this.handle ??= await this.openFile());
      let chunk = '';
      let chunkLines = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        if (this.size > 0 && this.size + bytes > this.maxBytes) {
          await handle.appendFile(chunk);
          done += chunkLines;
          chunk = '';
          chunkLines = 0;
          handle = await this.rotate(handle);
        }
        chunk += line;
        chunkLines++;
        this.size += bytes;
      }
      await handle.appendFile(chunk);
      done += chunkLines;
      this.recovered();
    } catch (err) {
      this.dropped += lines.length - done;
      this.fail(`writing log file ${this.path} failed, dropping records`, err);
      // Reopen on the next batch: the file may have been removed, or the disk may have room again.
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close().catch(() => undefined);
    }
  }

  private async openFile(): Promise<FileHandle> {
    // Logs name users, IPs and endpoints: the service user's only. Rotated files keep the mode (rename).
    await mkdir(dirname(this.path), { recursive: true, mode: PRIVATE_DIR_MODE });
    const handle = await open(this.path, 'a', PRIVATE_FILE_MODE);
    try {
      this.size = (await handle.stat()).size;
    } catch (err) {
      await handle.close();
      throw err;
    }
    return handle;
  }

  /**
   * Shifts `path.i` to `path.i+1` (dropping the oldest), `path` to `path.1`, and opens a new `path`.
   * If the renames fail, keeps appending to `path` and tries again after another `maxBytes`, rather
   * than stop logging or retry on every record.
   */
  private async rotate(current: FileHandle): Promise<FileHandle> {
    this.handle = undefined;
    await current.close();
    try {
      if (this.maxFiles === 0) {
        await rm(this.path, { force: true });
      } else {
        await rm(`${this.path}.${this.maxFiles}`, { force: true });
        for (let i = this.maxFiles - 1; i >= 1; i--) {
          await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing);
        }
        await rename(this.path, `${this.path}.1`).catch(ignoreMissing);
      }
      this.rotationFailing = false;
    } catch (err) {
      if (!this.rotationFailing) this.onError(`rotating log file ${this.path} failed; appending to it`, err);
      this.rotationFailing = true;
    }
    const handle = await this.openFile();
    if (this.rotationFailing) this.size = 0;
    this.handle = handle;
    return handle;
  }

  private fail(message: string, err?: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.onError(message, err);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.onError(`log file ${this.path} is being written again; ${this.dropped} records were dropped`);
    this.dropped = 0;
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
