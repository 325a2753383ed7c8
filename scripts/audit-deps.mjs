#!/usr/bin/env node
// The dependency check of .ci/run: `npm audit --omit=dev` must report no high or critical advisory
// in what ships. Findings always fail. When the registry cannot answer the audit at all (offline, a
// mirror without the advisory endpoint: npm's registry here answers 405 to the bulk advisory POST),
// the check says so loudly and, unless TOKENGATE_AUDIT_REQUIRED=1, lets the run go on: it cannot
// decide either way, and that is printed, never reported as a pass.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(`npm audit printed no JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  process.exit(1);
}
const counts = report.metadata?.vulnerabilities;
if (counts) {
  const serious = (counts.high ?? 0) + (counts.critical ?? 0);
  console.log(
    `npm audit --omit=dev: ${counts.total ?? 0} advisories (critical ${counts.critical ?? 0}, high ${counts.high ?? 0}, moderate ${counts.moderate ?? 0}, low ${counts.low ?? 0})`,
  );
  if (serious > 0) {
    console.error(
      'high or critical advisories in shipped dependencies: run `npm audit --omit=dev` for details',
    );
    process.exit(1);
  }
  process.exit(0);
}
const why = report.message ?? report.error?.summary ?? 'no advisory data';
console.error(`WARNING: the dependency audit could NOT run: ${why}`);
if (process.env.TOKENGATE_AUDIT_REQUIRED === '1') process.exit(1);
console.error('WARNING: continuing without it (set TOKENGATE_AUDIT_REQUIRED=1 to make this fatal)');
