import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from './browser.js';

/** Helpers for the browser tests of the web UI (test/e2e-ui.test.ts and the other ui-*.test.ts). */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_INDEX = join(ROOT, 'web', 'dist', 'index.html');
/** Every page the tests visit, as a PNG (git-ignored artifacts). */
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');
/** The few screenshots the README shows. */
export const DOCS_SCREENSHOT_DIR = join(ROOT, 'docs', 'screenshots');

/** Longest any single wait in the browser tests may take. */
export const WAIT_MS = 15_000;

/** Builds the web UI when web/dist has no index.html: the node reads web/dist once, when it starts. */
export function ensureWebBuild(timeoutMs = 90_000): void {
  if (existsSync(WEB_INDEX)) return;
  const r = spawnSync('npm', ['run', 'build:web'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.status !== 0 || !existsSync(WEB_INDEX)) {
    const why = r.error ? r.error.message : `exit status ${String(r.status)}`;
    throw new Error(`npm run build:web failed (${why}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** A console error the test provokes on purpose: the browser logs every non-2xx answer as one. */
export interface ExpectedFailure {
  status: number;
  /** The path of the request, e.g. `/_tokengate/api/v1/session`. */
  path: string;
}

/**
 * Watches one browser context for what a well-behaved page never does: console errors, uncaught
 * exceptions, failed requests, requests to any other origin than the server's, and 5xx answers.
 */
export class BrowserWatch {
  readonly problems: string[] = [];
  readonly requests: string[] = [];
  private readonly expected: ExpectedFailure[] = [];

  constructor(
    context: BrowserContext,
    private readonly origin: string,
  ) {
    context.on('request', (r) => {
      const url = r.url();
      this.requests.push(url);
      if (!url.startsWith(`${origin}/`)) {
        this.problems.push(`request to another origin: ${r.method()} ${url}`);
      }
    });
    context.on('requestfailed', (r) => {
      this.problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`);
    });
    context.on('response', (r) => {
      if (r.status() >= 500) this.problems.push(`server error: ${String(r.status())} ${r.url()}`);
    });
    context.on('weberror', (e) => {
      this.problems.push(`uncaught exception: ${e.error().message}`);
    });
    context.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      const status = /the server responded with a status of (\d{3})/.exec(text)?.[1];
      const where = msg.location().url;
      if (status !== undefined && this.isExpected(Number(status), where)) return;
      this.problems.push(`console error: ${text}${where ? ` (${where})` : ''}`);
    });
  }

  /** Declares an answer the test provokes on purpose (its console error is then not a problem). */
  expect(status: number, path: string): void {
    this.expected.push({ status, path });
  }

  private isExpected(status: number, url: string): boolean {
    return this.expected.some((e) => e.status === status && url.split('?')[0] === `${this.origin}${e.path}`);
  }
}

/** The sign-in probe every fresh context makes: GET /session answers 401 and the UI shows the sign-in page. */
const SESSION_PATH = '/_tokengate/api/v1/session';

/**
 * One test file's Chromium against one node's web UI: each open() is a fresh context (one per user)
 * with its own BrowserWatch; close() closes them all and the browser.
 */
export class UiBrowser {
  readonly watches: BrowserWatch[] = [];
  private readonly contexts: BrowserContext[] = [];
  private browser: Browser | undefined;
  private origin = '';

  /** @param timezoneId the browsers' time zone: a zone other than UTC tells UTC times from local ones. */
  constructor(private readonly timezoneId = 'UTC') {}

  async launch(chromiumPath: string, origin: string): Promise<void> {
    this.origin = origin;
    this.browser = await launchChromium(chromiumPath);
  }

  /** A fresh browser context, a phone's when `mobile`, with its own watch. */
  async open(
    viewport: { width: number; height: number },
    mobile = false,
  ): Promise<{ page: Page; watch: BrowserWatch }> {
    if (!this.browser) throw new Error('no browser');
    const context = await this.browser.newContext({
      viewport,
      ...(mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      locale: 'en-GB',
      timezoneId: this.timezoneId,
      colorScheme: 'light',
    });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    this.contexts.push(context);
    const watch = new BrowserWatch(context, this.origin);
    this.watches.push(watch);
    watch.expect(401, SESSION_PATH);
    return { page: await context.newPage(), watch };
  }

  /** Signs in through the form and waits for the first page to settle. */
  async signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${this.origin}/_tokengate/`);
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByTestId('signin-submit').click();
    // Attached, not visible: on a phone the user menu is folded into the navigation.
    await page.getByTestId('current-user').waitFor({ state: 'attached' });
    await settled(page);
  }

  async close(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => undefined);
    await this.browser?.close();
  }
}

/** Goes to a page by its main navigation entry, opening the menu first on narrow screens. */
export async function nav(page: Page, id: string): Promise<void> {
  const toggle = page.getByTestId('nav-toggle');
  if (await toggle.isVisible()) {
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  }
  await page.getByTestId(id).click();
  await settled(page);
}

/** Polls `probe` until it returns something other than undefined/false, for at most `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = WAIT_MS,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until nothing on the page is loading: no spinner, no skeleton rows, no busy table or chain check. */
export async function settled(page: Page): Promise<void> {
  await page
    .locator(
      '[data-testid="loading"], .skeleton-row, [aria-busy="true"], [data-testid="chain-status"][data-state="checking"]',
    )
    .first()
    .waitFor({ state: 'detached', timeout: WAIT_MS });
}

/** Waits for a locator to match nothing (e.g. an absent navigation entry). */
export async function absent(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: 'detached', timeout: WAIT_MS });
}

/** Writes a PNG of the page to test-artifacts/screenshots/<name>.png once it has settled. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  await settled(page);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // A whole-page shot of a scrolled page would draw the sticky top bar where the viewport was.
  if (fullPage) await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path, fullPage, animations: 'disabled', caret: 'hide', timeout: WAIT_MS });
  return path;
}

/**
 * Copies the named screenshots to docs/screenshots for the README, only when asked
 * (`TOKENGATE_UPDATE_SCREENSHOTS=1 npm test -- test/e2e-ui.test.ts`): a plain test run must not
 * rewrite files in the repository.
 */
export function publishScreenshots(names: readonly string[]): string[] {
  if (process.env.TOKENGATE_UPDATE_SCREENSHOTS !== '1') return [];
  mkdirSync(DOCS_SCREENSHOT_DIR, { recursive: true });
  return names.map((name) => {
    const to = join(DOCS_SCREENSHOT_DIR, `${name}.png`);
    copyFileSync(join(SCREENSHOT_DIR, `${name}.png`), to);
    return to;
  });
}
