/** The proxy's latency while a retention purge of the audit log runs on the same node. */
import type { AuditEvent } from '../../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import { systemContext } from '../../src/services/context.js';
import { runLoad } from './load.js';
import { CONNECTIONS, DURATION, PURGE_ROWS, TOOL } from './options.js';
import { summarise, type Figures } from './figures.js';
import { applyProfile, type Env } from './setup.js';
import { log, n0, sleep } from './util.js';

function syntheticEvent(i: number, now: number): AuditEvent {
  return {
    ts: now - 86_400_000 + i,
    category: 'authentication',
    action: 'auth.success',
    summary: `User bench authenticated with token "benchmark token" (${i})`,
    author: 'bench',
    affectedUser: 'bench',
    tokenId: null,
    tokenDescription: 'benchmark token',
    sourceIp: '127.0.0.1',
    proxyIp: null,
    nodeId: 'bench-fill',
    requestId: null,
    method: 'GET',
    endpoint: '/rest/api/2/issue/TG-1',
    outcome: 'success',
    details: null,
  };
}

export interface PurgeFigures {
  rows: number;
  purgedPerSecond: number;
  before: Figures;
  during: Figures;
}

/** Fills the audit log, then lowers audit.maxRows on the running node and loads it while it purges. */
export async function purgeUnderLoad(e: Env): Promise<PurgeFigures> {
  const store = e.ctx.store;
  await applyProfile(e, 'audit-off');
  const now = Date.now();
  log(`filling the audit log with ${n0(PURGE_ROWS)} records…`);
  for (let i = 0; i < PURGE_ROWS; i += 500) {
    const batch = Array.from({ length: Math.min(500, PURGE_ROWS - i) }, (_, k) => syntheticEvent(i + k, now));
    await store.transaction((tx) => tx.audit.append(batch));
  }
  const url = e.urls.gateway + '/rest/api/2/issue/TG-1';
  const o = { url, authorization: null, connections: CONNECTIONS, durationSec: DURATION };
  log('proxy p99 before the purge…');
  const before = await runLoad(TOOL, o);
  const start = await store.audit.count();
  await e.ctx.settings.update(CLI_PRINCIPAL, systemContext('@bench'), { 'audit.maxRows': 1000 });
  log('proxy p99 while the purge runs…');
  const t0 = performance.now();
  let purgedAt = 0;
  const watch = (async () => {
    // Polls the count until the purge is done, bounded by the load's duration plus a minute.
    const end = t0 + (DURATION + 60) * 1000;
    while (performance.now() < end) {
      await sleep(200);
      if ((await store.audit.count()) <= 1000) {
        purgedAt = performance.now();
        return;
      }
    }
  })();
  const during = await runLoad(TOOL, o);
  await watch;
  const left = await store.audit.count();
  const seconds = ((purgedAt || performance.now()) - t0) / 1000;
  await e.ctx.settings.update(CLI_PRINCIPAL, systemContext('@bench'), { 'audit.maxRows': 10_000_000 });
  return {
    rows: start - left,
    purgedPerSecond: (start - left) / seconds,
    before: summarise([{ ...before, cpuUs: null, mainCpuUs: null }]),
    during: summarise([{ ...during, cpuUs: null, mainCpuUs: null }]),
  };
}
