import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import type { RequestContext } from '../../domain/audit/audit.js';
import type { Principal } from '../../domain/auth/permissions.js';
import { toPublicToken, type PublicToken, type TokenRecord } from '../../domain/token/token.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Notifier } from '../../notify/notifier.js';
import type { ManagementAuthenticator } from '../../auth/management.js';
import type { SessionService } from '../../auth/sessions.js';
import type { SettingsService } from '../../services/settings-service.js';
import type { TokenService } from '../../services/token-service.js';
import type { UserService } from '../../services/user-service.js';
import type { Store } from '../../store/store.js';
import type { ClientAddress } from '../../domain/auth/client-ip.js';
import type { UiIdentity } from '../../identity/ui-identity.js';

// What the route files share with app.ts: the dependencies, the request's decorations, and the helpers
// they call at run time. Here rather than in app.ts, which imports every route (no import cycle).

export interface ApiDeps {
  store: Store;
  tokens: TokenService;
  users: UserService;
  settings: SettingsService;
  authenticator: ManagementAuthenticator;
  sessions: SessionService;
  nodeId: string;
  version: string;
  now: () => number;
  /** Where the built web UI is (tests point it elsewhere). */
  uiDir?: string;
  /** Prometheus metrics of this process, when a runtime collects them. */
  metrics?: Metrics;
  /** Where faults (never client errors) are reported. */
  logError: (message: string, err: unknown) => void;
  /** Largest request body in bytes; default `API_BODY_LIMIT` (app.ts). */
  bodyLimit?: number;
  /** Tells token owners about leaked and reused tokens; default: nobody. */
  notifier?: Notifier;
  /** The secret-scanning alert endpoint; default off. */
  secretScanning?: Config['secretScanning'];
  /** The seed app's REST API under `COMPAT_RESOLUTION_PATH` (routes/compat-resolution.ts) (gateway plane only); default off. */
  compatResolutionApi?: boolean;
  /**
   * Which routes this instance serves. `management` (default): the web UI, sign-in, the management API
   * and metrics, for the admin listener. `gateway`: what the proxied application's origin may show,
   * health, the secret-scanning endpoint and the compatibility API, with no session cookie accepted
   * and no call a browser made (docs/security.md, "the management plane").
   */
  plane?: Plane;
  /** Sign-in with the OpenID provider and by a trusted SSO proxy's headers (config `identity`); default neither. */
  identity?: UiIdentity | null;
}

export type Plane = 'management' | 'gateway';

export const BASE_PATH = '/_tokengate';
export const API_PATH = `${BASE_PATH}/api/v1`;

/** The URL of a token's resource on this API, for `Location` (the owner's view or the manager's). */
export function tokenLocation(id: string, asManager: boolean): string {
  return `${API_PATH}${asManager ? '/admin' : ''}/tokens/${encodeURIComponent(id)}`;
}

/** The URL of a user's resource on this API, for `Location`. */
export function userLocation(username: string): string {
  return `${API_PATH}/admin/users/${encodeURIComponent(username)}`;
}

/** The Fastify instance a route plugin registers its routes on, for the per-route functions. */
export type RouteApp = Parameters<FastifyPluginAsyncTypebox>[0];

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every authenticated route before its handler runs. */
    principal: Principal;
    client: ClientAddress;
  }
  interface FastifyContextConfig {
    /** Routes that need no credentials (health, the OpenAPI document). */
    public?: boolean;
    /** The 200 carries an ETag of the object (preconditions.ts); documented in the OpenAPI document. */
    etag?: boolean;
  }
}

/** The audit context of a request: who, from where, which request. */
export function requestContext(req: FastifyRequest): RequestContext {
  return {
    author: req.principal.username,
    sourceIp: req.client.clientIp,
    proxyIp: req.client.proxyIp,
    requestId: req.id,
    method: req.method,
    endpoint: req.routeOptions.url ?? req.url.split('?')[0] ?? null,
  };
}

/** A token as the API shows it; `expiresSoon` follows tokens.expiryWarningDays. */
export function publicToken(deps: Pick<ApiDeps, 'now' | 'settings'>, t: TokenRecord): PublicToken {
  return toPublicToken(t, deps.now(), deps.settings.current['tokens.expiryWarningDays']);
}
