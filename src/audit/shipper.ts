import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import { describeError } from '../log/layout.js';
import { AuditShippingRepo } from '../store/audit-shipping-repo.js';
import type { Database } from '../store/schema.js';
import { Jobs, type Job, type Scheduler } from '../services/jobs.js';
import { AuditFile } from './audit-file.js';
import type { AuditOutput } from './output.js';
import { SyslogOutput, SyslogSender } from './syslog.js';

export type { AuditOutput } from './output.js';

export interface AuditShipperOptions {
  repo: AuditShippingRepo;
  /** This node: the shipper ships the records whose node_id is this, and only those. */
  nodeId: string;
  outputs: readonly AuditOutput[];
  /** Default 1000. */
  intervalMs?: number;
  /** Records read and written at a time. Default 500. */
  batchSize?: number;
  /** How long `stop` waits for the final ship before it closes the outputs. Default 5000. */
  stopTimeoutMs?: number;
  /** Told when an output starts failing (once per outage) and when it works again. Default: stderr. */
  onError?: (message: string, err?: unknown) => void;
}

function reportToStderr(message: string, err?: unknown): void {
  process.stderr.write(`tokengate: ${message}${err === undefined ? '' : `: ${describeError(err)}`}\n`);
}

interface OutputState {
  output: AuditOutput;
  /** The last seq shipped, once read from the database. */
  cursor: number | undefined;
  running: Promise<number> | undefined;
  failing: boolean;
}

/**
 * Copies this node's audit records to the SIEM outputs, at least once.
 *
 * Each output has its own cursor (audit_shipping: node, output, last seq). A pass reads the records
 * after it in seq order, writes them, and only then moves the cursor; a crash in between sends the
 * batch again, and nothing is skipped. Outputs progress independently, so a syslog receiver that is
 * down holds back neither the file nor the requests. Each node ships only its own records, so in a
 * cluster every record leaves through exactly one node.
 */
export class AuditShipper {
  private readonly repo: AuditShippingRepo;
  private readonly nodeId: string;
  private readonly outputs: readonly AuditOutput[];
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly stopTimeoutMs: number;
  private readonly onError: (message: string, err?: unknown) => void;
  private readonly states: OutputState[];
  /** One job per output, so that a slow output holds back no other. */
  private jobs: Job[] = [];
  private stopped = false;

  constructor(options: AuditShipperOptions) {
    this.repo = options.repo;
    this.nodeId = options.nodeId;
    this.outputs = options.outputs;
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    this.onError = options.onError ?? reportToStderr;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.batchSize}`);
    }
    const names = new Set(this.outputs.map((o) => o.name));
    if (names.size !== this.outputs.length) throw new Error('audit outputs need distinct names');
    this.states = this.outputs.map((output) => ({
      output,
      cursor: undefined,
      running: undefined,
      failing: false,
    }));
  }

  /**
   * Ships every `intervalMs` until `stop`, on `jobs` (the node's scheduler; by default one of its
   * own): a job per output. A tick that finds the output's pass still going (or a `shipNow`) skips.
   */
  start(
    jobs: Scheduler = new Jobs({ onError: (_, err) => this.onError('shipping audit records failed', err) }),
  ): void {
    if (this.stopped || this.jobs.length > 0) return;
    this.jobs = this.states.map((s) =>
      jobs.every(`audit shipping to ${s.output.name}`, this.intervalMs, async () => {
        if (s.running === undefined) await this.run(s);
      }),
    );
  }

  /**
   * Ships everything there is now, waiting for a pass in progress first. Resolves to the records
   * shipped per output; failures go to `onError` and are retried by the next pass.
   */
  shipNow(): Promise<Record<string, number>> {
    if (this.stopped) return Promise.resolve(Object.fromEntries(this.states.map((s) => [s.output.name, 0])));
    return this.shipAll();
  }

  /**
   * Stops the jobs, ships what is left (for at most `stopTimeoutMs`), and closes the outputs. What
   * did not leave is shipped after the next start, from the saved cursors.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const job of this.jobs.splice(0)) job.cancel();
    // A one-shot bound on the final pass, not periodic work: it stays a plain timer.
    const final = this.shipAll();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      final.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.onError(
        `the audit records not shipped within ${this.stopTimeoutMs} ms of stopping are shipped after the next start`,
      );
    }
    await Promise.all(
      this.outputs.map((o) =>
        o.close().catch((err: unknown) => this.onError(`closing audit output ${o.name} failed`, err)),
      ),
    );
    // Closed outputs reject what they still hold, so the pass ends now; the cursors stay where they are.
    await final;
  }

  private async shipAll(): Promise<Record<string, number>> {
    const counts = await Promise.all(
      this.states.map(async (s) => {
        let n = 0;
        while (s.running !== undefined) n += await s.running;
        n += await this.run(s);
        return [s.output.name, n] as const;
      }),
    );
    return Object.fromEntries(counts);
  }

  private run(s: OutputState): Promise<number> {
    const p = this.ship(s)
      .then(
        (n) => {
          if (s.failing) {
            s.failing = false;
            this.onError(`shipping audit records to ${s.output.name} works again`);
          }
          return n;
        },
        (err: unknown) => {
          if (!s.failing) {
            s.failing = true;
            this.onError(
              `shipping audit records to ${s.output.name} failed; retrying every ${this.intervalMs} ms`,
              err,
            );
          }
          return 0;
        },
      )
      .finally(() => {
        s.running = undefined;
      });
    s.running = p;
    return p;
  }

  private async ship(s: OutputState): Promise<number> {
    const name = s.output.name;
    let cursor = (s.cursor ??= await this.repo.cursor(this.nodeId, name));
    let shipped = 0;
    for (;;) {
      const records = await this.repo.recordsAfter(this.nodeId, cursor, this.batchSize);
      const last = records.at(-1);
      if (last === undefined) return shipped;
      await s.output.write(records);
      await this.repo.setCursor(this.nodeId, name, last.seq);
      s.cursor = cursor = last.seq;
      shipped += records.length;
      if (records.length < this.batchSize) return shipped;
    }
  }
}

/**
 * The shipper the configuration asks for, over the database; null when no output is enabled.
 * Call `start()` on it with the server and `stop()` before closing the database.
 */
export function createAuditShipper(
  config: Pick<Config, 'audit' | 'nodeId'>,
  db: Kysely<Database>,
  options: Pick<AuditShipperOptions, 'intervalMs' | 'onError'> = {},
): AuditShipper | null {
  const { file, syslog } = config.audit;
  const outputs: AuditOutput[] = [];
  const onError = options.onError;
  if (file.enabled) {
    outputs.push(
      new AuditFile({
        dir: file.dir,
        maxSizeMb: file.maxSizeMb,
        maxFiles: file.maxFiles,
        ...(onError ? { onError } : {}),
      }),
    );
  }
  if (syslog.enabled) {
    const sender = new SyslogSender({
      transport: syslog.transport,
      host: syslog.host,
      port: syslog.port,
      ...(onError ? { onError } : {}),
    });
    outputs.push(
      new SyslogOutput(sender, { appName: syslog.appName, hostname: hostname(), facility: syslog.facility }),
    );
  }
  if (outputs.length === 0) return null;
  return new AuditShipper({ ...options, repo: new AuditShippingRepo(db), nodeId: config.nodeId, outputs });
}
