import type { AuditRecord } from '../domain/audit/audit.js';

// Its own module so that the outputs (audit-file.ts, syslog.ts), which shipper.ts imports, need not
// import shipper.ts back (no import cycle).

/** A place the audit records are copied to for a SIEM: the audit file, syslog. */
export interface AuditOutput {
  /** The key of this output's cursor in audit_shipping: `file`, `syslog`. */
  readonly name: string;
  /**
   * Delivers the records, in order. Resolves only once they are handed over (written to the file,
   * given to the OS); rejects otherwise, and the same records come again.
   */
  write(records: readonly AuditRecord[]): Promise<void>;
  close(): Promise<void>;
}
