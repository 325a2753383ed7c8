import type { AuditEvent, PurgeRequest, PurgeResult } from '../domain/audit/audit.js';

/** Messages to the audit writer thread (writer-thread.ts). Id 0 is the start-up answer and `close`. */
export type WriterRequest =
  | { id: number; op: 'append'; events: readonly AuditEvent[] }
  | { id: number; op: 'purge'; purge: PurgeRequest }
  | { id: number; op: 'close' };

/** What the thread answers, one per request; `value` is the purge's result (none for appends). */
export type WriterReply =
  | { id: number; ok: true; value: PurgeResult | null }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };
