import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real OpenID provider for the tests: the `oidc-provider` package (a certified implementation) on
 * 127.0.0.1 at a free port, with one confidential client, PKCE required, its built-in development login
 * and consent pages (devInteractions: any password is accepted), RP-initiated logout, refresh tokens for
 * the `offline_access` scope, and fixed users. Every call starts a provider with its own issuer URL, keys
 * and storage, so a second one is the "wrong issuer" of the mix-up tests. Loopback only.
 */

export interface TestUser {
  /** The account id, also `sub`. */
  id: string;
  preferred_username: string;
  name: string;
  email: string;
  groups: string[];
}

/** alice administers (tg-admins), bob uses tokens (tg-users); `Alice` checks case folding; `weird` has a name tokengate refuses. */
export const OIDC_TEST_USERS: readonly TestUser[] = [
  {
    id: 'alice',
    preferred_username: 'Alice',
    name: 'Alice Admin',
    email: 'alice@example.test',
    groups: ['tg-admins'],
  },
  { id: 'bob', preferred_username: 'bob', name: 'Bob User', email: 'bob@example.test', groups: ['tg-users'] },
  { id: 'weird', preferred_username: 'not a name!', name: 'Weird', email: 'weird@example.test', groups: [] },
];

export interface TestProviderOptions {
  /** Where the provider may send the browser back with a code. */
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  clientId?: string;
  /** Default: random. */
  clientSecret?: string;
  /** ID token lifetime. Default 3600 s. */
  idTokenTtlSec?: number;
  /** Access token lifetime (and so the sign-in's expiresAt). Default 3600 s. */
  accessTokenTtlSec?: number;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** The part of oidc-provider's Provider these tests use (the package ships no TypeScript types). */
interface ProviderInstance {
  callback(): (req: unknown, res: unknown) => void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

/**
 * oidc-provider announces development-only features on the console: the runtime check (it asks for Node
 * 22 but works on 20, which is what we run) and devInteractions, which we enable on purpose. Only
 * those exact announcements are dropped, only while loading and constructing; anything else prints.
 */
const EXPECTED_NOTICES = [
  'oidc-provider WARNING: Unsupported runtime.',
  'oidc-provider WARNING: a quick start development-only feature devInteractions is enabled',
];

async function quietly<T>(fn: () => Promise<T> | T): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string' && EXPECTED_NOTICES.some((n) => first.startsWith(n))) return;
    warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

let providerClass: Promise<ProviderClass> | null = null;

function loadProvider(): Promise<ProviderClass> {
  // A specifier in a variable: oidc-provider has no type declarations, and the shape we use is above.
  const specifier = 'oidc-provider';
  providerClass ??= quietly(async () => {
    const mod = (await import(specifier)) as { default: ProviderClass };
    return mod.default;
  });
  return providerClass;
}

export async function startOidcProvider(options: TestProviderOptions): Promise<TestProvider> {
  const Provider = await loadProvider();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = options.clientId ?? 'tokengate';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const provider = await quietly(() => new Provider(issuer, configuration(options, clientId, clientSecret)));
  server.on('request', provider.callback());
  return { issuer, clientId, clientSecret, close: () => closeServer(server) };
}

function configuration(
  options: TestProviderOptions,
  clientId: string,
  clientSecret: string,
): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const storage = new Map<string, StoredItem>();
  return {
    adapter: (model: string) => new MapAdapter(model, storage),
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test-key' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email', 'email_verified'],
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    findAccount: (_ctx: unknown, id: string) => {
      const user = OIDC_TEST_USERS.find((u) => u.id === id);
      if (user === undefined) return undefined;
      const { id: sub, ...profile } = user;
      return { accountId: sub, claims: () => ({ sub, ...profile, email_verified: true }) };
    },
    ttl: {
      AccessToken: options.accessTokenTtlSec ?? 3600,
      AuthorizationCode: 60,
      IdToken: options.idTokenTtlSec ?? 3600,
      RefreshToken: 86_400,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = `<pre>${Object.keys(out).join(' ')}</pre>`;
    },
  };
}

interface StoredItem {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/** A provider-local in-memory store (oidc-provider's own is shared by every provider in the process). */
class MapAdapter {
  constructor(
    private readonly model: string,
    private readonly storage: Map<string, StoredItem>,
  ) {}

  #get(key: string): Record<string, unknown> | undefined {
    const item = this.storage.get(key);
    if (item === undefined) return undefined;
    if (item.expiresAt <= Date.now()) {
      this.storage.delete(key);
      return undefined;
    }
    return item.payload;
  }

  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000;
    this.storage.set(`${this.model}:${id}`, { payload, expiresAt });
    for (const [kind, value] of [
      ['uid', payload.uid],
      ['userCode', payload.userCode],
    ] as const) {
      if (typeof value === 'string')
        this.storage.set(`${this.model}:${kind}:${value}`, { payload: { id }, expiresAt });
    }
    return Promise.resolve();
  }

  find(id: string): Promise<Record<string, unknown> | undefined> {
    return Promise.resolve(this.#get(`${this.model}:${id}`));
  }

  findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    return this.#byIndex('uid', uid);
  }

  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    return this.#byIndex('userCode', userCode);
  }

  consume(id: string): Promise<void> {
    const payload = this.#get(`${this.model}:${id}`);
    if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.storage.delete(`${this.model}:${id}`);
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, item] of this.storage) {
      if (item.payload.grantId === grantId) this.storage.delete(key);
    }
    return Promise.resolve();
  }

  #byIndex(kind: string, value: string): Promise<Record<string, unknown> | undefined> {
    const ref = this.#get(`${this.model}:${kind}:${value}`);
    return typeof ref?.id === 'string' ? this.find(ref.id) : Promise.resolve(undefined);
  }
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/**
 * Signs `login` in through the provider's devInteractions pages with plain HTTP (no browser): follows
 * redirects with a cookie jar, submits the login form and the consent form, and returns the URL the
 * provider finally sends the browser to (the client's redirect URI with `code`, `state` and `iss`).
 */
export async function signInWithoutBrowser(
  authorizationUrl: string,
  login: string,
  redirectUri: string,
): Promise<string> {
  const jar = new Map<string, string>();
  let request: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = {
    url: authorizationUrl,
    method: 'GET',
  };
  for (let step = 0; step < 12; step++) {
    const res = await fetch(request.url, {
      method: request.method,
      body: request.body,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'text/html' },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      const next = new URL(location, request.url).href;
      if (next.startsWith(redirectUri)) return next;
      request = { url: next, method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`provider answered ${res.status} at ${request.url}: ${html.slice(0, 200)}`);
    request = formSubmission(html, request.url, login);
  }
  throw new Error('the sign-in did not reach the redirect URI');
}

/** The devInteractions page's form as a POST: the login form with any password, or the consent form. */
function formSubmission(
  html: string,
  pageUrl: string,
  login: string,
): { url: string; method: 'POST'; body: URLSearchParams } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
  if (action === undefined || prompt === undefined) throw new Error(`no sign-in form at ${pageUrl}`);
  const body = new URLSearchParams({ prompt });
  if (prompt === 'login') {
    body.set('login', login);
    body.set('password', 'any password');
  }
  return { url: new URL(action.replaceAll('&amp;', '&'), pageUrl).href, method: 'POST', body };
}

/** A free loopback port, so that a node's admin URL can be registered with the provider before it starts. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await closeServer(probe);
  return port;
}

/** The environment variable the OIDC test nodes read their client secret from. */
export const OIDC_SECRET_ENV = 'TOKENGATE_TEST_OIDC_CLIENT_SECRET';

/**
 * A provider registered for the web UI of a node whose admin listener will be `adminUrl`: the UI's
 * callback as the redirect URI, the UI as the post-logout URI. The client secret is put in
 * OIDC_SECRET_ENV for the node to read.
 */
export async function startUiProvider(adminUrl: string): Promise<TestProvider> {
  const provider = await startOidcProvider({
    redirectUris: [`${adminUrl}/_tokengate/oidc/callback`],
    postLogoutRedirectUris: [`${adminUrl}/_tokengate/`],
  });
  process.env[OIDC_SECRET_ENV] = provider.clientSecret;
  return provider;
}

/** The `identity.oidc` config section for a node signing in with `provider` (admin UI at `adminUrl`). */
export function oidcSection(provider: TestProvider, adminUrl: string) {
  return {
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecretFile: null,
    clientSecretEnv: OIDC_SECRET_ENV,
    externalUrl: adminUrl,
    scopes: ['openid', 'profile', 'email'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    clockToleranceSeconds: 60,
    inactiveDays: 90,
    displayName: 'Test provider',
  };
}
