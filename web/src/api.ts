/**
 * The management API client: every call the UI makes goes through this module, so that shapes live in
 * one place. All requests are same-origin JSON under /_tokengate/api/v1, authenticated by the session
 * cookie; every non-GET request carries the session's CSRF token.
 */

export const API_BASE = '/_tokengate/api/v1';

export type Scope = 'read' | 'write';
export type TokenStatus = 'active' | 'expired' | 'revoked';

export interface User {
  username: string;
  displayName: string;
  email: string | null;
  groups: string[];
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Permissions {
  useTokens: boolean;
  createOwnTokens: boolean;
  manageAllTokens: boolean;
  admin: boolean;
}

export interface Policy {
  maxValidityDays: number | null;
  defaultValidityDays: number | null;
  forceReadOnly: boolean;
  maxPerUser: number;
  tokenPrefix: string;
  /** How long an old secret keeps working after a rotation, unless the rotation names its own. */
  rotationGraceSeconds: number;
  /** Active tokens that expire within this many days are shown as "expires soon" (0: never). */
  expiryWarningDays: number;
}

export interface Me {
  user: User;
  authenticatedWith: 'password' | 'token' | 'session';
  permissions: Permissions;
  /** Optional until every server sends it; see DEFAULT_POLICY. */
  policy?: Policy;
}

/** The server defaults (docs/configuration.md), used only when /me has no policy yet. */
export const DEFAULT_POLICY: Policy = {
  maxValidityDays: 365,
  defaultValidityDays: 90,
  forceReadOnly: false,
  maxPerUser: 10,
  tokenPrefix: 'tgp',
  rotationGraceSeconds: 0,
  expiryWarningDays: 5,
};

export interface PasswordChanged {
  user: User;
  /** The session that replaces this one; null: signed out (sign in with the new password). */
  session: { csrfToken: string; expiresAt: string } | null;
}

export interface Session {
  user: User | string;
  csrfToken: string;
  expiresAt: string;
}

export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export interface Token {
  id: string;
  user: string;
  description: string;
  scope: Scope;
  status: TokenStatus;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  allowedIps: string[] | null;
  rateLimit: RateLimit | null;
  revokedAt: string | null;
  revokedBy: string | null;
  /** Sent by servers that count uses. */
  useCount?: number;
  /**
   * Active, with an expiry within the policy's expiryWarningDays. Sent by servers that rotate tokens;
   * computed from the policy otherwise (see expiresSoon in format.ts).
   */
  expiresSoon?: boolean;
  /** When the secret was last rotated; null: never. Sent by servers that rotate tokens. */
  rotatedAt?: string | null;
}

export interface CreateTokenBody {
  description: string;
  scope: Scope;
  validityDays?: number;
  expiresAt?: string | null;
  allowedIps?: string[];
  rateLimit?: RateLimit;
}

export interface RotateTokenBody {
  /** Seconds the old secret keeps working (0 to 30 days); absent: the policy's rotationGraceSeconds. */
  graceSeconds?: number;
}

/** A new token, or a new secret of a rotated one: the plain secret is in this answer only. */
export interface CreatedToken {
  token: string;
  record: Token;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TokenFilter {
  user?: string;
  description?: string;
  scope?: Scope;
  status?: TokenStatus;
  createdFrom?: string;
  createdTo?: string;
  lastUsedFrom?: string;
  lastUsedTo?: string;
  expiresFrom?: string;
  expiresTo?: string;
  limit?: number;
  cursor?: string;
}

export interface CreateUserBody {
  username: string;
  displayName?: string;
  email?: string | null;
  groups?: string[];
  password?: string;
}

export interface PatchUserBody {
  displayName?: string;
  email?: string | null;
  groups?: string[];
  password?: string | null;
  disabled?: boolean;
}

export type Settings = Record<string, unknown>;

export interface SettingSchemaItem {
  key: string;
  description: string;
  default: unknown;
  schema: Record<string, unknown>;
}

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const AUDIT_CATEGORIES = ['tokens', 'users', 'settings', 'authentication', 'logging'] as const;

export interface AuditRecord {
  seq: number;
  id: number;
  time: string;
  category: string;
  action: string;
  summary: string;
  author: string;
  affectedUser: string | null;
  tokenId: string | null;
  tokenDescription: string | null;
  sourceIp: string | null;
  proxyIp: string | null;
  nodeId: string | null;
  requestId: string | null;
  method: string | null;
  endpoint: string | null;
  outcome: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  from?: string;
  to?: string;
  author?: string;
  category?: string;
  action?: string;
  affectedUser?: string;
  tokenId?: string;
  ip?: string;
  nodeId?: string;
  q?: string;
  limit?: number;
  cursor?: string;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  fromSeq: number;
  headSeq: number | null;
  problem: { kind: string; seq: number; message: string } | null;
}

export interface StatsBucket {
  start: string;
  authenticated: number;
  denied: number;
  rateLimited: number;
  anonymous: number;
  passedOn: number;
  /** Failed authentications (bad or unknown credentials), when the server counts them apart from denials. */
  failed?: number;
}

export interface TopToken {
  id: string;
  user: string;
  description: string;
  uses: number;
  lastUsedAt: string | null;
}

export interface Stats {
  buckets: StatsBucket[];
  topTokens: TopToken[];
  expiringSoon: Token[];
}

/** A field-level problem as the API reports it in `details`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Any non-2xx answer, in the API's error shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The `{field, message}` list of a 400, or an empty list. */
  get fieldProblems(): FieldProblem[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      (d): d is FieldProblem =>
        typeof d === 'object' &&
        d !== null &&
        typeof (d as FieldProblem).field === 'string' &&
        typeof (d as FieldProblem).message === 'string',
    );
  }

  /** For a policy_violation: the setting that set the limit, e.g. `tokens.maxValidityDays`. */
  get limit(): string | null {
    const d = this.details;
    if (typeof d === 'object' && d !== null && !Array.isArray(d)) {
      const limit = (d as Record<string, unknown>).limit;
      if (typeof limit === 'string') return limit;
    }
    return null;
  }
}

let csrfToken: string | null = null;
let onSessionLost: (() => void) | null = null;

/** Called when an API call answers 401: the session expired or was signed out elsewhere. */
export function setSessionLostHandler(handler: (() => void) | null): void {
  onSessionLost = handler;
}

type Query = Record<string, string | number | undefined | null>;

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Do not report a 401 as a lost session (signing in, probing the session). */
  expectUnauthorized?: boolean;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    // Tells the server this is the UI, not a script: it should not answer 401 with a Basic challenge,
    // which would make the browser show its own login prompt.
    'X-Requested-With': 'XMLHttpRequest',
  };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}${queryString(opts.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
    const apiError = new ApiError(
      res.status,
      typeof err?.code === 'string' ? err.code : `http_${res.status}`,
      typeof err?.message === 'string' ? err.message : `The server answered ${res.status} ${res.statusText}.`,
      err?.details,
    );
    if (res.status === 401 && !opts.expectUnauthorized) onSessionLost?.();
    throw apiError;
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  // Session
  async signIn(username: string, password: string): Promise<Session> {
    const s = await request<Session>('POST', '/session', {
      body: { username, password },
      expectUnauthorized: true,
    });
    csrfToken = s.csrfToken;
    return s;
  },
  /** The current session, or null when there is none. */
  async session(): Promise<Session | null> {
    try {
      const s = await request<Session>('GET', '/session', { expectUnauthorized: true });
      csrfToken = s.csrfToken;
      return s;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 404)) return null;
      throw e;
    }
  },
  async signOut(): Promise<void> {
    try {
      await request<undefined>('DELETE', '/session', { expectUnauthorized: true });
    } finally {
      csrfToken = null;
    }
  },

  me: () => request<Me>('GET', '/me'),
  /**
   * Changes the signed-in user's password. Every session of the user ends; the server answers with
   * a new session for this one (its cookie is set, its CSRF token kept here), or `session: null`
   * when it could not sign in again.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<PasswordChanged> {
    const r = await request<PasswordChanged>('PUT', '/me/password', {
      body: { currentPassword, newPassword },
    });
    csrfToken = r.session?.csrfToken ?? null;
    return r;
  },

  // Own tokens
  listTokens: () => request<{ items: Token[] }>('GET', '/tokens'),
  createToken: (body: CreateTokenBody) => request<CreatedToken>('POST', '/tokens', { body }),
  renameToken: (id: string, description: string) =>
    request<Token>('PATCH', `/tokens/${enc(id)}`, { body: { description } }),
  revokeToken: (id: string) => request<undefined>('DELETE', `/tokens/${enc(id)}`),
  rotateToken: (id: string, body: RotateTokenBody) =>
    request<CreatedToken>('POST', `/tokens/${enc(id)}/rotate`, { body }),

  // Token manager
  searchTokens: (filter: TokenFilter) =>
    request<Page<Token>>('GET', '/admin/tokens', { query: filter as Query }),
  revokeAnyToken: (id: string) => request<undefined>('DELETE', `/admin/tokens/${enc(id)}`),
  rotateAnyToken: (id: string, body: RotateTokenBody) =>
    request<CreatedToken>('POST', `/admin/tokens/${enc(id)}/rotate`, { body }),
  createTokenFor: (user: string, body: CreateTokenBody) =>
    request<CreatedToken>('POST', `/admin/users/${enc(user)}/tokens`, { body }),
  revokeAllTokensOf: (user: string) =>
    request<{ revoked: number; tokenIds: string[] }>('DELETE', `/admin/users/${enc(user)}/tokens`),

  // Users
  listUsers: () => request<{ items: User[] }>('GET', '/admin/users'),
  createUser: (body: CreateUserBody) => request<User>('POST', '/admin/users', { body }),
  updateUser: (username: string, body: PatchUserBody) =>
    request<User>('PATCH', `/admin/users/${enc(username)}`, { body }),
  deleteUser: (username: string) => request<undefined>('DELETE', `/admin/users/${enc(username)}`),

  // Settings
  settings: () => request<Settings>('GET', '/admin/settings'),
  updateSettings: (change: Settings) => request<Settings>('PATCH', '/admin/settings', { body: change }),
  /**
   * Help texts and defaults of every setting. Falls back to the OpenAPI document, which carries the
   * same descriptions, on servers without the schema endpoint.
   */
  async settingsSchema(): Promise<SettingSchemaItem[]> {
    try {
      return (await request<{ items: SettingSchemaItem[] }>('GET', '/admin/settings/schema')).items;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
    const doc = await request<unknown>('GET', '/openapi.json');
    return schemaItemsFromOpenApi(doc);
  },

  // Log levels
  logLevels: () => request<{ levels: Record<string, LogLevel> }>('GET', '/admin/log-levels'),
  setLogLevel: (logger: string, level: LogLevel | null) =>
    request<{ levels: Record<string, LogLevel> }>('PUT', `/admin/log-levels/${enc(logger)}`, {
      body: { level },
    }),

  // Audit
  searchAudit: (filter: AuditFilter) =>
    request<Page<AuditRecord>>('GET', '/admin/audit', { query: filter as Query }),
  auditExportUrl: (format: 'csv' | 'jsonl', filter: AuditFilter) => {
    const { limit: _limit, cursor: _cursor, ...rest } = filter;
    return `${API_BASE}/admin/audit/export${queryString({ format, ...rest })}`;
  },
  verifyAudit: () => request<ChainVerification>('GET', '/admin/audit/verify'),

  // Dashboard
  stats: (hours: number) => request<Stats>('GET', '/admin/stats', { query: { hours } }),
};

/** Finds the settings object (the one with a `tokens.prefix` property) in an OpenAPI document. */
function schemaItemsFromOpenApi(doc: unknown): SettingSchemaItem[] {
  const seen = new Set<unknown>();
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const props = (node as { properties?: unknown }).properties;
    if (typeof props === 'object' && props !== null && 'tokens.prefix' in props) {
      return Object.entries(props as Record<string, Record<string, unknown>>).map(([key, s]) => {
        const { description, default: def, ...schema } = s;
        return { key, description: typeof description === 'string' ? description : '', default: def, schema };
      });
    }
    for (const v of Object.values(node)) stack.push(v);
  }
  return [];
}
