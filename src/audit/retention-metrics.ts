import { Gauge, type Registry } from 'prom-client';

/**
 * `tokengate_audit_rows_held_by_floor`: records beyond `audit.maxRows` that the retention floor keeps,
 * after the last purge pass. Above 0, the table is outgrowing maxRows on purpose; alert on it to
 * raise maxRows or give the database room before the disk decides.
 */
export function heldByFloorGauge(registry: Registry): (records: number) => void {
  const gauge = new Gauge({
    name: 'tokengate_audit_rows_held_by_floor',
    help: 'Audit records beyond audit.maxRows kept because they are younger than audit.retentionFloorDays',
    registers: [registry],
  });
  return (records) => gauge.set(records);
}
