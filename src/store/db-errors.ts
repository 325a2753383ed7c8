/**
 * Classifies driver errors so the edges can answer correctly: a database that is down or locked is a
 * 503 (retrying can help), a unique-key race is a 409, anything else stays a fault.
 */

const PG_UNAVAILABLE = new Set([
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '25006', // read_only_sql_transaction
]);

const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|CANTOPEN|FULL|PROTOCOL)/;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (
    code !== undefined &&
    (PG_UNAVAILABLE.has(code) || NODE_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.test(code))
  ) {
    return true;
  }
  const message = err instanceof Error ? err.message : '';
  // pg's own errors carry no code: a lost connection, a pool that cannot connect in time, a query
  // that got no answer within query_timeout (the server hangs, or packets are dropped).
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
    message,
  );
}

export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
