import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium for the end-to-end tests, driven by playwright-core (no browser download).
 * Missing locally: the suite skips with a message. Missing under CI=true: it fails.
 */
export const CHROMIUM_CANDIDATES = [
  process.env.TOKENGATE_TEST_CHROMIUM,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
].filter((p): p is string => typeof p === 'string' && p.length > 0);

export function findChromium(): string | null {
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export function requireChromium(): { path: string } | { skip: string } {
  const path = findChromium();
  if (path) return { path };
  if (process.env.CI === 'true') {
    throw new Error(
      `CI=true and Chromium is missing (looked at ${CHROMIUM_CANDIDATES.join(', ')}); .ci/run installs Debian's chromium`,
    );
  }
  return {
    skip: `Chromium not installed (looked at ${CHROMIUM_CANDIDATES.join(', ')}); apt-get install chromium`,
  };
}

/** Headless, sandbox off (we run as root in CI), and no background traffic to the closed network. */
export function launchChromium(path: string): Promise<Browser> {
  return chromium.launch({
    executablePath: path,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
