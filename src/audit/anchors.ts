import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { Jobs, type Job, type Scheduler } from '../services/jobs.js';

/**
 * Chain-head anchors, after AWS CloudTrail's digest files: the database's chain head (seq, hash) is
 * written at intervals to an append-only file and to the log, outside the database. Whoever can
 * write the database can delete the newest records and move the head row back, or recompute every
 * hash (SHA-256 is not keyed); they cannot take back what already left it. `audit verify` checks
 * the database against the anchors: each anchored record still exists with its hash, or a purge
 * record covers it, and the head is not older than the newest anchor.
 */
export interface Anchor {
  /** When the head was read, ISO 8601 UTC. */
  time: string;
  node: string;
  seq: number;
  hash: string;
  /** Records in the log at that moment (head seq - oldest seq + 1). */
  records: number;
}

/** The log's logger name for anchor lines. */
export const ANCHOR_LOGGER = 'audit.anchor';

/** The chain head and how many records the log holds, or null for an empty log. */
export type HeadReader = () => Promise<{ seq: number; hash: string; records: number } | null>;

export interface AnchorWriterOptions {
  file: string;
  intervalMs: number;
  nodeId: string;
  head: HeadReader;
  log: Logger;
  now?: () => number;
}

const HASH = /^[0-9a-f]{64}$/;

/** Writes an anchor every `intervalMs` when the head moved, and one at stop (the shutdown anchor). */
export class AnchorWriter {
  private job: Job | undefined;
  private last = '';
  private prepared = false;
  private running: Promise<Anchor | null> | null = null;

  constructor(private readonly o: AnchorWriterOptions) {}

  /** Anchors every intervalMs on `jobs` (the node's scheduler; by default one of its own). */
  start(jobs: Scheduler = new Jobs({ onError: (_, err) => this.failed(err) })): void {
    this.job = jobs.every('audit chain anchor', this.o.intervalMs, async () => {
      await this.anchor().catch((err: unknown) => this.failed(err));
    });
  }

  /** Stops the timer and writes the last anchor. */
  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = undefined;
    await this.anchor().catch((err: unknown) => this.failed(err));
  }

  /** Anchors the head now, unless it has not moved since the last anchor; concurrent calls share one. */
  anchor(): Promise<Anchor | null> {
    this.running ??= this.write().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async write(): Promise<Anchor | null> {
    const head = await this.o.head();
    if (!head || `${head.seq}:${head.hash}` === this.last) return null;
    const a: Anchor = {
      time: new Date((this.o.now ?? Date.now)()).toISOString(),
      node: this.o.nodeId,
      seq: head.seq,
      hash: head.hash,
      records: head.records,
    };
    if (!this.prepared) {
      // The anchors name no secret, but the data directory is the service user's alone.
      await mkdir(dirname(this.o.file), { recursive: true, mode: 0o700 });
      await chmod(dirname(this.o.file), 0o700);
      await appendFile(this.o.file, '', { mode: 0o600 });
      await chmod(this.o.file, 0o600);
      this.prepared = true;
    }
    await appendFile(this.o.file, `${JSON.stringify(a)}\n`, { mode: 0o600 });
    this.last = `${head.seq}:${head.hash}`;
    this.o.log.info(`audit chain head seq=${a.seq} hash=${a.hash} records=${a.records}`);
    return a;
  }

  private failed(err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    this.o.log.warn(`writing the audit chain anchor to ${this.o.file} failed; retried next interval: ${why}`);
  }
}

/** Parses an anchor file; lines that are not anchors are counted, not trusted. */
export function parseAnchors(text: string): { anchors: Anchor[]; unreadable: number } {
  const anchors: Anchor[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const a = JSON.parse(line) as Partial<Anchor>;
      if (
        typeof a.seq === 'number' &&
        Number.isSafeInteger(a.seq) &&
        a.seq > 0 &&
        typeof a.hash === 'string' &&
        HASH.test(a.hash)
      ) {
        anchors.push({
          time: typeof a.time === 'string' ? a.time : '?',
          node: typeof a.node === 'string' ? a.node : '?',
          seq: a.seq,
          hash: a.hash,
          records: typeof a.records === 'number' ? a.records : 0,
        });
        continue;
      }
    } catch {
      // counted below
    }
    unreadable++;
  }
  return { anchors, unreadable };
}
