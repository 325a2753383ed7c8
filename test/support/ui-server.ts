import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import { systemContext } from '../../src/services/context.js';
import { call, harness, harnessHandle, type Harness } from './harness.js';

/**
 * A harness serving a small built UI (index.html and one asset) with one plain user, paula (dev):
 * the setup of the web UI's server-side suites (sessions, the UI's files, /me, the dashboard).
 */
export async function uiHarness(): Promise<{ h: Harness; close: () => Promise<void> }> {
  const uiDir = mkdtempSync(join(tmpdir(), 'tg-ui-'));
  mkdirSync(join(uiDir, 'assets'));
  writeFileSync(
    join(uiDir, 'index.html'),
    '<!doctype html><title>tokengate</title><script type="module" src="/_tokengate/assets/app-abc123.js"></script>',
  );
  writeFileSync(join(uiDir, 'assets', 'app-abc123.js'), 'console.log("ui")');
  const h = await harness({ uiDir });
  await h.ctx.users.create(CLI_PRINCIPAL, systemContext('@cli'), {
    username: 'paula',
    groups: ['dev'],
    password: 'paula-password',
  });
  return {
    h,
    close: async () => {
      await h.close();
      rmSync(uiDir, { recursive: true, force: true });
    },
  };
}

/** A UI harness for the enclosing describe(): started before its tests, closed after them. */
export function useUiHarness(): Harness {
  let started: { h: Harness; close: () => Promise<void> } | undefined;
  before(async () => {
    started = await uiHarness();
  });
  after(() => started?.close());
  return harnessHandle(() => started?.h ?? assert.fail('the UI harness is read before its suite started it'));
}

/** Signs in through POST /session; gives the answer, its Set-Cookie, the cookie and the CSRF token. */
export const signInTo =
  (h: Harness) =>
  async (username: string, password: string, extra: Record<string, string> = {}, remoteAddress?: string) => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/session',
      body: { username, password },
      headers: extra,
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    const setCookie = String(r.headers['set-cookie'] ?? '');
    const cookie = /tg_session=([^;]*)/.exec(setCookie)?.[1] ?? '';
    return {
      r,
      setCookie,
      cookie: `tg_session=${cookie}`,
      csrf: (r.data as { csrfToken?: string }).csrfToken ?? '',
    };
  };
