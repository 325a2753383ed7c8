import type { AuditRecord } from '../domain/audit/audit.js';

// The syslog output's message format: RFC 5424 messages for audit records and RFC 6587 framing.
// Pure text and bytes; sending them is syslog.ts's.

/**
 * The SD-ID of our structured data. 32473 is the private enterprise number RFC 5612 sets aside for
 * documentation; a receiver keys on the whole `tokengate@32473`, so it only has to be stable.
 */
export const SYSLOG_SD_ID = 'tokengate@32473';
export const SEVERITY_WARNING = 4;
export const SEVERITY_NOTICE = 5;
const NILVALUE = '-';

/** The header fields that are the same for every message. */
export interface SyslogFormat {
  /** APP-NAME, 1–48 printable ASCII characters. */
  appName: string;
  /** HOSTNAME, normally the machine's host name. */
  hostname: string;
  /** 0–23; 10 is authpriv. */
  facility: number;
  /** PROCID. Default this process's pid. */
  procId?: string;
}

/** Refused authentications (failed, denied, rate-limited) are warnings; everything else is a notice. */
export function syslogSeverity(record: AuditRecord): number {
  return record.category === 'authentication' && record.outcome !== null && record.outcome !== 'success'
    ? SEVERITY_WARNING
    : SEVERITY_NOTICE;
}

/** A header field: printable US-ASCII only (RFC 5424 PRINTUSASCII), at most `max` characters. */
function headerField(value: string | null | undefined, max: number): string {
  if (value === null || value === undefined || value.length === 0) return NILVALUE;
  return value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
}

/**
 * Control characters become spaces, so that a receiver which splits on newlines cannot be handed a
 * forged line by a summary or a token description. The database keeps the exact text.
 */
function noControls(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\x00-\x1f\x7f]/g, ' ');
}

/** A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 section 6.3.3). */
function paramValue(value: string | number | null): string {
  if (value === null) return NILVALUE;
  return noControls(String(value)).replace(/["\\\]]/g, (c) => `\\${c}`);
}

/**
 * One RFC 5424 message for a record, without framing:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [tokengate@32473 …] MSG`.
 * MSGID is the action and MSG the summary, as UTF-8 without a BOM. Absent values are `-`.
 */
export function formatSyslog(record: AuditRecord, format: SyslogFormat): string {
  if (!Number.isInteger(format.facility) || format.facility < 0 || format.facility > 23) {
    throw new RangeError(`syslog facility must be an integer from 0 to 23, got ${format.facility}`);
  }
  const pri = format.facility * 8 + syslogSeverity(record);
  const header = [
    `<${pri}>1`,
    new Date(record.ts).toISOString(),
    headerField(format.hostname, 255),
    headerField(format.appName, 48),
    headerField(format.procId ?? String(process.pid), 128),
    headerField(record.action, 32),
  ].join(' ');
  const params: Array<[string, string | number | null]> = [
    ['seq', record.seq],
    ['hash', record.hash],
    ['category', record.category],
    ['action', record.action],
    ['author', record.author],
    ['user', record.affectedUser],
    ['token', record.tokenId],
    ['src', record.sourceIp],
    ['proxy', record.proxyIp],
    ['node', record.nodeId],
    ['outcome', record.outcome],
  ];
  const sd = `[${SYSLOG_SD_ID} ${params.map(([k, v]) => `${k}="${paramValue(v)}"`).join(' ')}]`;
  const msg = noControls(record.summary);
  return msg.length === 0 ? `${header} ${sd}` : `${header} ${sd} ${msg}`;
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
