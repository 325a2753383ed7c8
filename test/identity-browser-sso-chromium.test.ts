import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { launchChromium, requireChromium } from './support/browser.js';
import { startTestNode, type TestNode } from './support/node.js';
import {
  freePort,
  OIDC_SECRET_ENV,
  oidcSection,
  startOidcProvider,
  type TestProvider,
} from './support/oidc-provider.js';

/** Each step drives a real browser; none should come close to this. */
const STEP = { timeout: 90_000 };

// Missing Chromium: skips here with a message, but throws (fails the file) under CI=true.
const chromium = requireChromium();

/** What the demo upstream (whoami) answers: the identity headers it received. */
interface Whoami {
  url: string;
  headers: Record<string, string>;
}

/**
 * Browser sign-in at the gateway (auth.browser) in Debian's Chromium, with a real OpenID provider:
 * a page of the gateway sends the browser to the provider's own login and consent pages and back to
 * the same page, which the demo upstream shows with the session's identity headers; the session
 * cookie is out of the page's reach; sign-out goes through the provider and ends at the signed-out
 * page, after which the page asks for sign-in again. The HTTP-level suite is identity-browser-sso.
 */
describe(
  'browser single sign-on at the gateway (Chromium)',
  { skip: 'skip' in chromium ? chromium.skip : false },
  () => {
    let provider: TestProvider;
    let node: TestNode;
    let gatewayUrl: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const PAGE = '/wiki/page?x=1&y=two';

    before(async () => {
      if ('skip' in chromium) return;
      const [port, adminPort] = [await freePort(), await freePort()];
      gatewayUrl = `http://127.0.0.1:${port}`;
      const adminUrl = `http://127.0.0.1:${adminPort}`;
      provider = await startOidcProvider({
        redirectUris: [`${adminUrl}/_tokengate/oidc/callback`, `${gatewayUrl}/_tokengate/sso/callback`],
        postLogoutRedirectUris: [`${adminUrl}/_tokengate/`, `${gatewayUrl}/_tokengate/sso/signed-out`],
      });
      process.env[OIDC_SECRET_ENV] = provider.clientSecret;
      // No upstream: the demo (whoami) answers with the identity headers it got, as JSON.
      node = await startTestNode(null, (c) => {
        c.port = port;
        c.adminPort = adminPort;
        c.identity.oidc = oidcSection(provider, adminUrl);
        c.auth.browser = {
          provider: 'oidc',
          externalUrl: gatewayUrl,
          allowedRedirectHosts: [],
          sessionHours: 8,
          allowedGroups: [],
        };
      });
      browser = await launchChromium(chromium.path);
      context = await browser.newContext();
      page = await context.newPage();
    });

    after(async () => {
      await context?.close();
      await browser?.close();
      await node?.close();
      await provider?.close();
    });

    const onProvider = (u: URL): boolean => u.href.startsWith(provider.issuer);

    /** The demo upstream's JSON as the page shows it. */
    async function shown(): Promise<Whoami> {
      const text = await page.locator('body').innerText();
      return JSON.parse(text) as Whoami;
    }

    it(
      'sends the page to the provider, signs bob in on its own pages and comes back to the same page',
      STEP,
      async () => {
        await page.goto(`${gatewayUrl}${PAGE}`);
        await page.waitForURL(onProvider);
        // oidc-provider's development login page, then its consent page.
        await page.locator('input[name="login"]').fill('bob');
        await page.locator('input[name="password"]').fill('any password');
        await page.locator('button[type="submit"]').click();
        await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: 'attached' });
        await page.locator('button[type="submit"]').click();
        await page.waitForURL(`${gatewayUrl}${PAGE}`);
        const who = await shown();
        assert.equal(who.url, PAGE, 'the path and the query are kept');
        assert.equal(who.headers['x-forwarded-user'], 'bob');
        assert.equal(who.headers['x-tokengate-scope'], 'session');
        assert.equal(who.headers['x-tokengate-token-id'], undefined);
      },
    );

    it("keeps the session cookie out of the page's reach (HttpOnly)", STEP, async () => {
      const cookies = await context.cookies(gatewayUrl);
      const session = cookies.find((c) => c.name === 'tg_gateway');
      assert.ok(session, 'the browser holds the gateway session cookie');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      const visible = await page.evaluate<string>('document.cookie');
      assert.ok(!visible.includes('tg_gateway'), `document.cookie shows it: ${visible}`);
      assert.ok(!visible.includes(session.value));
    });

    it(
      'signs out through the provider to the signed-out page; the page then asks for sign-in again',
      STEP,
      async () => {
        await page.goto(`${gatewayUrl}/_tokengate/sso/logout`);
        await page.waitForURL((u) => onProvider(u) || u.pathname === '/_tokengate/sso/signed-out');
        const confirmed = onProvider(new URL(page.url()));
        if (confirmed) {
          // oidc-provider asks whether to sign out at the provider too: yes.
          await page.locator('button[name="logout"][value="yes"]').click();
          await page.waitForURL(`${gatewayUrl}/_tokengate/sso/signed-out`);
        }
        assert.equal(await page.getByTestId('sso-message').innerText(), 'You are signed out.');
        const cookies = await context.cookies(gatewayUrl);
        assert.equal(
          cookies.find((c) => c.name === 'tg_gateway'),
          undefined,
          'the session cookie is cleared',
        );
        await page.goto(`${gatewayUrl}${PAGE}`);
        await page.waitForURL(onProvider);
        await page.locator('input[name="login"]').waitFor();
      },
    );
  },
);
