import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import {
  OidcClient,
  OidcError,
  PENDING_LOGIN_TTL_MS,
  type OidcClientOptions,
  type OidcErrorReason,
  type PendingLogin,
} from '../src/identity/oidc.js';
import { createSealer } from '../src/identity/sealed-cookie.js';
import { signInWithoutBrowser, startOidcProvider, type TestProvider } from './support/oidc-provider.js';

/**
 * The OpenID Connect client against a real provider (oidc-provider on loopback), without a browser:
 * the authorization code flow is driven with plain HTTP through the provider's own login and consent
 * pages. The Chromium tests drive the same pages through the UI and the gateway.
 */

const REDIRECT_URI = 'http://127.0.0.1:9/oidc/callback';
const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

let provider: TestProvider;
let other: TestProvider;

function client(overrides: Partial<OidcClientOptions> = {}, p: TestProvider = provider): OidcClient {
  return new OidcClient({
    issuer: p.issuer,
    clientId: p.clientId,
    clientSecret: p.clientSecret,
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_URI,
    allowInsecureHttp: true,
    ...overrides,
  });
}

async function refused(promise: Promise<unknown>, reason: OidcErrorReason): Promise<OidcError> {
  const err = await promise.then(
    () => assert.fail(`expected an OidcError '${reason}'`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OidcError, String(err));
  assert.equal(err.reason, reason, err.message);
  return err;
}

describe('OidcClient against a real OpenID provider', () => {
  before(async () => {
    const registration = { redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI] };
    provider = await startOidcProvider(registration);
    // Same client registration, another issuer: the mix-up attacker's provider.
    other = await startOidcProvider({ ...registration, clientSecret: provider.clientSecret });
  });
  after(async () => {
    await provider.close();
    await other.close();
  });

  it('signs alice in: code flow with PKCE, claims from ID token and userinfo, groups, folded name', async () => {
    const rp = client();
    const { url, state, pending } = await rp.start('/tokens');
    const auth = new URL(url);
    assert.equal(auth.origin, provider.issuer);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(auth.searchParams.get('state'), state);
    assert.ok(auth.searchParams.get('nonce'));
    assert.ok(!url.includes(pending.codeVerifier), 'the verifier never leaves us');
    const callback = await signInWithoutBrowser(url, 'alice', REDIRECT_URI);
    const result = await rp.finish(callback, pending);
    assert.deepEqual(result.claims, {
      username: 'alice',
      displayName: 'Alice Admin',
      email: 'alice@example.test',
      groups: ['tg-admins'],
      sub: 'alice',
      issuer: provider.issuer,
    });
    assert.equal(result.returnTo, '/tokens');
    assert.ok(result.tokens.idToken.split('.').length === 3);
    assert.equal(result.tokens.refresh, undefined, 'no refresh token without offline_access');
    assert.ok(result.tokens.expiresAt > Date.now());
  });

  it('bob gets his own groups; a code is redeemed once only', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    const callback = await signInWithoutBrowser(url, 'bob', REDIRECT_URI);
    const result = await rp.finish(callback, pending);
    assert.equal(result.claims.username, 'bob');
    assert.deepEqual(result.claims.groups, ['tg-users']);
    await refused(rp.finish(callback, pending), 'provider-error');
  });

  it('refuses a tampered state, or a callback without one', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    const callback = new URL(await signInWithoutBrowser(url, 'alice', REDIRECT_URI));
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${pending.state.slice(0, -1)}x`);
    await refused(rp.finish(tampered, pending), 'state-mismatch');
    tampered.searchParams.delete('state');
    await refused(rp.finish(tampered, pending), 'state-mismatch');
    // Another browser's pending sign-in (its own state) does not accept this callback either.
    const { pending: someoneElses } = await rp.start('/');
    await refused(rp.finish(callback, someoneElses), 'state-mismatch');
  });

  it('refuses a callback from another issuer (mix-up), even carrying the right state', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    // The attacker's provider receives the same request parameters and answers with its own code.
    const atOther = new URL(url);
    const otherAuth = new URL(`${other.issuer}${atOther.pathname}${atOther.search}`);
    const callback = await signInWithoutBrowser(otherAuth.href, 'alice', REDIRECT_URI);
    assert.equal(new URL(callback).searchParams.get('iss'), other.issuer);
    await refused(rp.finish(callback, pending), 'issuer');
    // Without the iss parameter, the code is not one our provider issued.
    const stripped = new URL(callback);
    stripped.searchParams.delete('iss');
    await refused(rp.finish(stripped, pending), 'provider-error');
  });

  it('refuses a discovery document that names another issuer', async () => {
    // A loopback server that answers discovery with the other provider's document.
    const doc = await (await fetch(`${other.issuer}/.well-known/openid-configuration`)).text();
    const impostor = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(doc),
    );
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = impostor.address() as AddressInfo;
      const rp = client({ issuer: `http://127.0.0.1:${port}` });
      await refused(rp.start('/'), 'issuer');
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('refuses an expired ID token', async () => {
    // A client whose clock runs 2 minutes ahead of the provider's, with no tolerance: the ID token
    // (lifetime 1 minute) is already past its exp when it arrives.
    const shortLived = await startOidcProvider({ redirectUris: [REDIRECT_URI], idTokenTtlSec: 60 });
    try {
      const rp = client({ clockToleranceSec: 0, clockSkewSec: 120 }, shortLived);
      const { url, pending } = await rp.start('/');
      const callback = await signInWithoutBrowser(url, 'alice', REDIRECT_URI);
      const err = await refused(rp.finish(callback, pending), 'expired');
      assert.equal(err.detail, 'exp');
    } finally {
      await shortLived.close();
    }
  });

  it('refuses an ID token whose nonce is not this sign-in’s', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    const callback = await signInWithoutBrowser(url, 'alice', REDIRECT_URI);
    await refused(rp.finish(callback, { ...pending, nonce: 'another-nonce' }), 'nonce');
  });

  it('refuses a wrong PKCE verifier at the provider', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    const callback = await signInWithoutBrowser(url, 'alice', REDIRECT_URI);
    const err = await refused(
      rp.finish(callback, { ...pending, codeVerifier: 'x'.repeat(43) }),
      'provider-error',
    );
    assert.equal(err.detail, 'invalid_grant');
  });

  it('refuses a username tokengate cannot hold, and a missing username claim', async () => {
    const rp = client();
    const first = await rp.start('/');
    await refused(
      rp.finish(await signInWithoutBrowser(first.url, 'weird', REDIRECT_URI), first.pending),
      'claims',
    );
    const second = client({ usernameClaim: 'no_such_claim' });
    const started = await second.start('/');
    const err = await refused(
      second.finish(await signInWithoutBrowser(started.url, 'bob', REDIRECT_URI), started.pending),
      'claims',
    );
    assert.equal(err.detail, 'no_such_claim');
  });

  it('falls back to another claim only when told to', async () => {
    const rp = client({ usernameClaim: 'no_such_claim', usernameFallbackClaim: 'sub' });
    const { url, pending } = await rp.start('/');
    const result = await rp.finish(await signInWithoutBrowser(url, 'bob', REDIRECT_URI), pending);
    assert.equal(result.claims.username, 'bob');
  });

  it('refreshes with offline_access: new tokens, the same identity', async () => {
    const rp = client({ scopes: ['openid', 'profile', 'email', 'offline_access'] });
    const { url, pending } = await rp.start('/');
    assert.equal(new URL(url).searchParams.get('prompt'), 'consent');
    const signIn = await rp.finish(await signInWithoutBrowser(url, 'alice', REDIRECT_URI), pending);
    const refreshToken = signIn.tokens.refresh;
    assert.ok(refreshToken !== undefined, 'a refresh token with offline_access');
    const refreshed = await rp.refresh(refreshToken);
    assert.ok(refreshed.tokens.refresh !== undefined);
    assert.ok(refreshed.tokens.expiresAt > Date.now());
    if (refreshed.claims !== undefined) assert.equal(refreshed.claims.username, 'alice');
    await refused(rp.refresh('not-a-refresh-token'), 'provider-error');
  });

  it('logoutUrl is the provider’s end_session endpoint with the ID token hint', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    const signIn = await rp.finish(await signInWithoutBrowser(url, 'alice', REDIRECT_URI), pending);
    const logout = new URL((await rp.logoutUrl(signIn.tokens.idToken)) ?? assert.fail('no logout URL'));
    assert.equal(logout.origin, provider.issuer);
    assert.equal(logout.pathname, '/session/end');
    assert.equal(logout.searchParams.get('id_token_hint'), signIn.tokens.idToken);
    assert.equal(logout.searchParams.get('post_logout_redirect_uri'), POST_LOGOUT_URI);
    assert.equal(logout.searchParams.get('client_id'), provider.clientId);
    const page = await fetch(logout, { redirect: 'manual' });
    assert.equal(page.status, 200, 'the provider accepts the logout request');
  });

  it('an unreachable provider is "unavailable", retried only after the bound', async () => {
    const down = await startOidcProvider({ redirectUris: [REDIRECT_URI] });
    await down.close();
    const rp = client({ discoveryRetryMs: 60_000, timeoutSec: 2 }, down);
    const first = await refused(rp.start('/'), 'unavailable');
    assert.equal(first.retryable, true);
    const second = await refused(rp.start('/'), 'unavailable');
    assert.equal(second.detail, 'discovery', 'fails fast inside the retry bound');
  });

  it('after a failed discovery, tries again once the bound has passed', async () => {
    const doc = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).text();
    let calls = 0;
    const flaky = createServer((_req, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(503).end();
      const { port } = flaky.address() as AddressInfo;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(doc.replaceAll(provider.issuer, `http://127.0.0.1:${port}`));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = flaky.address() as AddressInfo;
      const rp = client({ issuer: `http://127.0.0.1:${port}`, discoveryRetryMs: 200 });
      await refused(rp.start('/'), 'unavailable');
      await refused(rp.start('/'), 'unavailable');
      assert.equal(calls, 1, 'no second request inside the bound');
      await new Promise((resolve) => setTimeout(resolve, 250));
      await rp.start('/');
      await rp.start('/');
      assert.equal(calls, 2, 'discovered once, then cached');
    } finally {
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it('the pending sign-in survives a sealed cookie, and only that cookie', async () => {
    const secrets = ['s'.repeat(32)];
    const pendingCookie = createSealer<PendingLogin>({ secrets, purpose: 'oidc-pending' });
    const sessionCookie = createSealer<PendingLogin>({ secrets, purpose: 'ui-session' });
    const rp = client();
    const { url, pending } = await rp.start('/back');
    const sealed = pendingCookie.seal(pending, PENDING_LOGIN_TTL_MS);
    assert.equal(sessionCookie.open(sealed), null);
    const opened = pendingCookie.open(sealed) ?? assert.fail('the pending cookie did not open');
    const result = await rp.finish(await signInWithoutBrowser(url, 'bob', REDIRECT_URI), opened);
    assert.equal(result.returnTo, '/back');
  });

  it('error messages carry no tokens, codes or secrets', async () => {
    const rp = client();
    const { url, pending } = await rp.start('/');
    const callback = new URL(await signInWithoutBrowser(url, 'alice', REDIRECT_URI));
    const code = callback.searchParams.get('code') ?? '';
    const errors = [
      await refused(rp.finish(callback, { ...pending, codeVerifier: 'y'.repeat(43) }), 'provider-error'),
      await refused(rp.refresh('secret-refresh-value'), 'provider-error'),
    ];
    for (const e of errors) {
      for (const secret of [
        code,
        pending.codeVerifier,
        pending.nonce,
        provider.clientSecret,
        'secret-refresh-value',
      ]) {
        assert.ok(!e.message.includes(secret), e.message);
        assert.ok(!String(e.stack).includes(secret));
      }
      assert.equal(e.cause, undefined);
    }
  });

  it('refuses http issuers off loopback and without allowInsecureHttp', () => {
    const base = { clientId: 'c', redirectUri: REDIRECT_URI };
    assert.throws(() => new OidcClient({ ...base, issuer: provider.issuer }), /https/);
    assert.throws(
      () => new OidcClient({ ...base, issuer: 'http://idp.example.test', allowInsecureHttp: true }),
      /loopback/,
    );
    assert.throws(
      () => new OidcClient({ ...base, issuer: 'https://idp.example.test', scopes: ['profile'] }),
      /openid/,
    );
  });
});
