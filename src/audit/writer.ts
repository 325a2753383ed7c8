import { Worker } from 'node:worker_threads';
import { sql } from '../store/kysely.js';
import type { AuditEvent, PurgeRequest, PurgeResult } from '../domain/audit/audit.js';
import { SQLITE_WAL_AUTOCHECKPOINT_PAGES, type DatabaseHandle } from '../store/database.js';
import type { Store } from '../store/store.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

/**
 * Where the audit queue and the retention purge write: the same operations, in the process or on a
 * thread of their own. Each call is one transaction.
 */
export interface AuditWriter {
  /** Appends events to the chain, in order, in one transaction. */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** One retention batch (AuditRepo.purgeBatch) in its own transaction, its purge record with it. */
  purgeBatch(p: PurgeRequest): Promise<PurgeResult>;
  close(): Promise<void>;
}

/** Writes through the process's own connection: PostgreSQL (queries wait on the network, not the CPU) and `:memory:`. */
export function storeAuditWriter(store: Store): AuditWriter {
  return {
    append: async (events) => {
      await store.transaction((tx) => tx.audit.append(events));
    },
    purgeBatch: (p) => store.transaction((tx) => tx.audit.purgeBatch(p)),
    close: () => Promise.resolve(),
  };
}

/** Error code of a call the writer thread could not answer: it exited. Retrying (on a new thread) can help. */
export const WRITER_GONE = 'TOKENGATE_AUDIT_WRITER_GONE';

/** How long close() waits for the thread to finish its work and exit before it stops it. */
const CLOSE_WAIT_MS = 10_000;

/**
 * The thread's module, beside this one. Under tsx (tests, benches) it is TypeScript, and worker
 * threads do not inherit tsx's loader: a small bootstrap registers it first.
 */
function threadEntry(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { url: new URL('./writer-thread.js', here) };
  const thread = new URL('./writer-thread.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(thread)});`;
  return { url: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: [] };
}

/** A request before it gets its id (Omit over each member of the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  resolve(value: PurgeResult | null): void;
  reject(err: Error): void;
}

function replyError(e: { name: string; message: string; code?: string }): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code !== undefined) Object.assign(err, { code: e.code });
  return err;
}

/**
 * Writes to a SQLite file from a worker thread with a connection of its own. better-sqlite3 runs
 * every statement synchronously, so on the request thread a 5,000-event batch (~100 ms) or a purge
 * held up every request for as long; on its own thread it costs the requests nothing but the copy of
 * the events. SQLite's write lock orders this thread's transactions with the request thread's (an
 * admin change and its audit record), and WAL lets reads go on meanwhile.
 *
 * WAL checkpoints run here too: the request thread's connection stops checkpointing on commit
 * while the thread runs, and this thread's commits (most of the writes) and a timer do it instead.
 * If the thread exits unexpectedly, its calls fail with WRITER_GONE (the queue keeps the events and
 * retries) and the next call starts a new one.
 */
export class ThreadAuditWriter implements AuditWriter {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Set<Promise<PurgeResult | null>>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly handle: DatabaseHandle,
    private readonly onExit: (err: Error) => void,
  ) {}

  /** Starts the thread; rejects if it cannot open the database. */
  static async start(handle: DatabaseHandle, onExit: (err: Error) => void): Promise<ThreadAuditWriter> {
    const writer = new ThreadAuditWriter(handle, onExit);
    await writer.thread();
    return writer;
  }

  append(events: readonly AuditEvent[]): Promise<void> {
    return this.call({ op: 'append', events }).then(() => undefined);
  }

  async purgeBatch(purge: PurgeRequest): Promise<PurgeResult> {
    return (await this.call({ op: 'purge', purge })) ?? { purged: 0, heldByFloor: 0 };
  }

  /** Lets the thread finish what it was given, then stops it; the request thread checkpoints again. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker ?? (await this.starting?.catch(() => null));
    // Every answer first: a thread that exits right after its last reply may not deliver it.
    await Promise.allSettled(this.inflight);
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ op: 'close', id: 0 } satisfies WriterRequest);
      const timer = setTimeout(() => void worker.terminate(), CLOSE_WAIT_MS);
      await exited;
      clearTimeout(timer);
    }
    await this.checkpointHere(true);
  }

  private async call(request: WithoutId<WriterRequest>): Promise<PurgeResult | null> {
    if (this.closed)
      throw replyError({ name: 'Error', message: 'the audit writer is closed', code: WRITER_GONE });
    const worker = await this.thread();
    const id = this.nextId++;
    const answered = new Promise<PurgeResult | null>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
    this.inflight.add(answered);
    const settled = (): void => void this.inflight.delete(answered);
    answered.then(settled, settled);
    return answered;
  }

  private thread(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async spawn(): Promise<Worker> {
    const entry = threadEntry();
    const worker = new Worker(entry.url, {
      workerData: { url: this.handle.location },
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    });
    let started: ((err: Error | null) => void) | null = null;
    const ready = new Promise<void>((resolve, reject) => {
      started = (err) => (err ? reject(err) : resolve());
    });
    const exited = (err: Error): void => {
      if (started) started(err);
      else this.gone(worker, err);
      started = null;
    };
    worker.on('message', (m: WriterReply) => {
      if (m.id !== 0) this.answer(m);
      else if (started) started(m.ok ? null : replyError(m.error));
      started = null;
    });
    worker.on('error', exited);
    worker.on('exit', (code) =>
      exited(
        replyError({ name: 'Error', message: `the audit writer thread exited (${code})`, code: WRITER_GONE }),
      ),
    );
    await ready;
    // An idle thread does not keep the process alive (close() is what ends it in order); one with
    // calls to answer does, or their promises would be left pending at exit.
    worker.unref();
    this.worker = worker;
    await this.checkpointHere(false);
    return worker;
  }

  private answer(m: WriterReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(replyError(m.error));
  }

  private gone(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const gone = replyError({ name: 'Error', message: err.message, code: WRITER_GONE });
    for (const p of this.pending.values()) p.reject(gone);
    this.pending.clear();
    void this.checkpointHere(true);
    if (!this.closed) this.onExit(err);
  }

  /** Turns checkpoints on commit on (no thread) or off (the thread does them) for the request thread's connection. */
  private async checkpointHere(on: boolean): Promise<void> {
    await sql
      .raw(`pragma wal_autocheckpoint = ${on ? SQLITE_WAL_AUTOCHECKPOINT_PAGES : 0}`)
      .execute(this.handle.db)
      .catch(() => undefined);
  }
}

/**
 * The writer for this database: a thread of its own for a SQLite file, the process's connection
 * otherwise (PostgreSQL, `:memory:`, which another connection cannot see).
 */
export async function openAuditWriter(
  handle: DatabaseHandle,
  store: Store,
  onExit: (err: Error) => void,
): Promise<AuditWriter> {
  if (handle.dialect !== 'sqlite' || handle.location === ':memory:') return storeAuditWriter(store);
  return ThreadAuditWriter.start(handle, onExit);
}
