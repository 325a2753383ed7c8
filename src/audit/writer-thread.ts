/**
 * The audit writer thread (ThreadAuditWriter in writer.ts): its own connection to the SQLite file,
 * one request at a time, in the order they came. Errors go back with their SQLite code, so the
 * queue can tell a full disk or a held lock (retry) from an event the database refused.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from '../store/kysely.js';
import { openDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

/**
 * A passive checkpoint this often, for WAL written by the request thread alone (its connection
 * leaves checkpoints to this one). Commits here checkpoint by themselves past the WAL limit.
 */
const CHECKPOINT_INTERVAL_MS = 5_000;

const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread');

function failure(id: number, err: unknown): WriterReply {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return {
    id,
    ok: false,
    error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) },
  };
}

const { url } = workerData as { url: string };
let opened: Awaited<ReturnType<typeof openDatabase>>;
try {
  opened = await openDatabase({ url });
} catch (err) {
  port.postMessage(failure(0, err));
  process.exit(1);
}
const handle = opened;
const store = Store.from(handle);

const checkpoints = setInterval(() => {
  void sql`pragma wal_checkpoint(PASSIVE)`.execute(handle.db).catch(() => undefined);
}, CHECKPOINT_INTERVAL_MS);

async function run(m: WriterRequest): Promise<WriterReply | null> {
  switch (m.op) {
    case 'append':
      await store.transaction((tx) => tx.audit.append(m.events));
      return { id: m.id, ok: true, value: null };
    case 'purge':
      return {
        id: m.id,
        ok: true,
        value: await store.transaction((tx) => tx.audit.purgeBatch(m.purge)),
      };
    case 'close':
      clearInterval(checkpoints);
      await handle.close();
      port?.close();
      return null;
  }
}

// One at a time: each request starts when the one before it has committed or failed.
let queue = Promise.resolve();
port.on('message', (m: WriterRequest) => {
  queue = queue.then(async () => {
    let reply: WriterReply | null;
    try {
      reply = await run(m);
    } catch (err) {
      reply = failure(m.id, err);
    }
    if (reply) port.postMessage(reply);
  });
});
port.postMessage({ id: 0, ok: true, value: null } satisfies WriterReply);
