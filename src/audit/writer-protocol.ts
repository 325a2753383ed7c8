import type { AuditEvent } from '../domain/audit.js';

/** Messages to the audit writer thread (writer-thread.ts). Id 0 is the start-up answer and `close`. */
export type WriterRequest =
  | { id: number; op: 'append'; events: readonly AuditEvent[] }
  | { id: number; op: 'purge'; before: number; maxRows: number; limit: number; now: number }
  | { id: number; op: 'close' };

/** What the thread answers, one per request; `value` is the rows purged (0 for appends). */
export type WriterReply =
  | { id: number; ok: true; value: number }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };
