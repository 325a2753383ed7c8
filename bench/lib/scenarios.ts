/** The proxy scenarios of the bench and the loops that run them in interleaved rounds. */
import { runFixedRate, runLoad } from './load.js';
import { CONNECTIONS, DURATION, ROUNDS, SKIP, TOOL, WARMUP } from './options.js';
import { cpuMs, processTree, summarise, type Figures, type Run } from './figures.js';
import { applyProfile, type Env, type Profile } from './setup.js';
import { log, n0, sleep } from './util.js';

export interface Scenario {
  id: string;
  label: string;
  url: string;
  authorization: string | null;
  profile: Profile;
  /** The processes that serve it (besides the upstream), whose CPU time per request is reported. */
  pids: () => number[];
}

/** The scenarios this run can serve (nginx, Redis, `--workers` only when they started), in run order. */
function scenarios(e: Env): Scenario[] {
  const bearer = `Bearer ${e.token}`;
  const basic = `Basic ${Buffer.from(`bench:${e.token}`).toString('base64')}`;
  const path = '/rest/api/2/issue/TG-1';
  const { pids, urls } = e;
  const up = (): number[] => [pids.upstream];
  const gw = (): number[] => [pids.gateway];
  const nx = (): number[] => processTree(pids.nginx);
  // One scenario, or null when the server it needs did not start.
  const at = (
    id: string,
    label: string,
    base: string | null,
    authorization: string | null,
    profile: Profile,
    serving: () => number[],
  ): Scenario | null =>
    base === null ? null : { id, label, url: base + path, authorization, profile, pids: serving };
  const list: Array<Scenario | null> = [
    at('1', '1 upstream direct', urls.upstream, null, 'audit-off', up),
    at('2', '2 tokengate, auth off (baseline)', urls.gateway, null, 'audit-off', gw),
    at('3a', '3a Bearer, audit events off', urls.gateway, bearer, 'audit-off', gw),
    at('5', '5 nginx proxy_pass', urls.nginx, null, 'audit-off', nx),
    at('3', '3 Bearer, all audit events on', urls.gateway, bearer, 'audit-on', gw),
    at('4', '4 Basic user:token, audit on', urls.gateway, basic, 'audit-on', gw),
    at('6', '6 nginx auth_request → tokengate', urls.nginxAuth, bearer, 'audit-on', () => [
      ...nx(),
      pids.gateway,
    ]),
    at('7', '7 as 3, rate limit in Redis', urls.redis, bearer, 'audit-on', () => [pids.redis]),
    at('8', '8 as 3, --workers 2', SKIP.has('workers') ? null : urls.workers, bearer, 'audit-on', () =>
      processTree(pids.workers),
    ),
  ];
  return list.filter((s): s is Scenario => s !== null);
}

/**
 * Waits (at most 15 s) until every gateway process is idle: below 3% of a core over 250 ms. The
 * gateways share one SQLite file, and a gateway that just served an audit-on scenario still writes
 * its queued events for a moment afterwards on its writer thread; measured meanwhile, the next
 * scenario would pay for them.
 */
async function settle(e: Env): Promise<void> {
  const pids = [...new Set([e.pids.gateway, e.pids.redis, ...processTree(e.pids.workers)])].filter(
    (p) => p > 0,
  );
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const a = cpuMs(pids);
    await sleep(250);
    const b = cpuMs(pids);
    if (a === null || b === null || b - a < 0.03 * 250) return;
  }
}

/** The fixed rate of the below-saturation comparison, requests/s (about a quarter of scenario 3's peak). */
export const FIXED_RATE = 2_000;

/**
 * Scenarios 3 and 7 again at a fixed FIXED_RATE (open loop, µs resolution), interleaved: at full load every
 * scenario saturates the same two cores, and p50 there is mostly connections / throughput. Below
 * saturation p50 shows what a Redis round trip adds to each request's own latency.
 */
export async function fixedRateScenarios(e: Env): Promise<Map<string, Figures>> {
  const list = scenarios(e).filter((s) => s.id === '3' || s.id === '7');
  const runs = new Map<string, Run[]>(list.map((s) => [s.id, []]));
  if (list.length < 2) return new Map();
  await applyProfile(e, 'audit-on');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of list) {
      log(`round ${round}/${ROUNDS}: ${s.label} at ${n0(FIXED_RATE)} requests/s…`);
      const r = await runFixedRate({
        url: s.url,
        authorization: s.authorization,
        connections: 10,
        durationSec: DURATION,
        rate: FIXED_RATE,
      });
      runs.get(s.id)?.push({ ...r, cpuUs: null, mainCpuUs: null });
    }
  }
  return new Map(list.map((s) => [s.id, summarise(runs.get(s.id) ?? [])]));
}

export async function runProxyScenarios(e: Env): Promise<Map<string, { s: Scenario; f: Figures }>> {
  const list = scenarios(e);
  const runs = new Map<string, Run[]>(list.map((s) => [s.id, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    let profile: Profile | null = null;
    for (const s of list) {
      if (s.profile !== profile) {
        await applyProfile(e, s.profile);
        profile = s.profile;
      }
      log(`round ${round}/${ROUNDS}: ${s.label}…`);
      await settle(e);
      const o = { url: s.url, authorization: s.authorization, connections: CONNECTIONS };
      await runLoad(TOOL, { ...o, durationSec: WARMUP });
      const pids = s.pids();
      const cpu0 = cpuMs(pids);
      const main0 = cpuMs(pids, true);
      const r = await runLoad(TOOL, { ...o, durationSec: DURATION });
      const cpu1 = cpuMs(pids);
      const main1 = cpuMs(pids, true);
      const perRequest = (a: number | null, b: number | null): number | null =>
        a !== null && b !== null && r.requests > 0 ? ((b - a) * 1000) / r.requests : null;
      runs.get(s.id)?.push({ ...r, cpuUs: perRequest(cpu0, cpu1), mainCpuUs: perRequest(main0, main1) });
    }
  }
  return new Map(list.map((s) => [s.id, { s, f: summarise(runs.get(s.id) ?? []) }]));
}
