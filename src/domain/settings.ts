import { normalizeCidrList } from './ip-rules.js';
import { parseReadRule } from './read-rules.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './log-level.js';
import { fail, ok, type Result } from './result.js';
import { DEFAULT_TOKEN_PREFIX, PREFIX_PATTERN } from './token-format.js';

/**
 * Every runtime setting: its key (part of the public interface), type, default, help text and
 * validator. Settings live in the database so that every node sees the same values; this module is
 * the only place that knows their shape.
 */

/** A permission is granted to the listed groups, or to everyone with `"*"`. */
export type GroupList = string[];

export interface Settings {
  'tokens.prefix': string;
  'tokens.previousPrefixes': string[];
  'tokens.maxValidityDays': number | null;
  'tokens.defaultValidityDays': number | null;
  'tokens.maxPerUser': number;
  'tokens.forceReadOnly': boolean;
  'tokens.rotationGraceSeconds': number;
  'tokens.revokeOnReuse': boolean;
  'tokens.expiryWarningDays': number;
  'tokens.pruneExpiredAfterDays': number | null;
  'tokens.revokeUnusedAfterDays': number | null;
  'permissions.useTokens': GroupList;
  'permissions.createOwnTokens': GroupList;
  'permissions.manageAllTokens': GroupList;
  'auth.basicPasswords': boolean;
  'auth.allowedIps': string[];
  'auth.trustedProxies': string[];
  'auth.requireAuthentication': boolean;
  'auth.readRules': string[];
  'auth.caseSensitiveUsernames': boolean;
  'auth.tokenUsernamePlaceholders': string[];
  'rateLimit.enabled': boolean;
  'rateLimit.requests': number;
  'rateLimit.windowSeconds': number;
  'bruteForce.enabled': boolean;
  'bruteForce.ipMaxFailures': number;
  'bruteForce.userMaxFailures': number;
  'bruteForce.windowSeconds': number;
  'bruteForce.blockSeconds': number;
  'log.levels': Record<string, LogLevel>;
  'log.style': LogStyle;
  'audit.events.authSuccess': boolean;
  'audit.events.authFailedToken': boolean;
  'audit.events.authFailedVerification': boolean;
  'audit.events.permissionDenied': boolean;
  'audit.events.rateLimited': boolean;
  'audit.retentionDays': number;
  'audit.maxRows': number;
}

export type SettingKey = keyof Settings;

export interface SettingDefinition<K extends SettingKey = SettingKey> {
  key: K;
  /** A JSON-schema fragment for the OpenAPI document. */
  schema: Record<string, unknown>;
  default: Settings[K];
  description: string;
  /** Checks and canonicalizes a value that came from JSON. */
  parse(value: unknown): Result<Settings[K]>;
}

const MAX_DAYS = 36_500;
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function bool(value: unknown): Result<boolean> {
  return typeof value === 'boolean' ? ok(value) : fail('must be true or false');
}

function int(min: number, max: number) {
  return (value: unknown): Result<number> =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? ok(value === 0 ? 0 : value) // -0 is 0, as JSON stores it
      : fail(`must be an integer from ${min} to ${max}`);
}

function nullableDays(value: unknown): Result<number | null> {
  return value === null ? ok(null) : int(1, MAX_DAYS)(value);
}

function stringArray(value: unknown): Result<string[]> {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    return fail('must be an array of strings');
  }
  return ok(value);
}

function cidrList(value: unknown): Result<string[]> {
  const list = stringArray(value);
  return list.ok ? normalizeCidrList(list.value) : list;
}

function readRuleList(value: unknown): Result<string[]> {
  const list = stringArray(value);
  if (!list.ok) return list;
  if (list.value.length > 100) return fail('at most 100 rules are allowed');
  for (const rule of list.value) {
    const r = parseReadRule(rule);
    if (!r.ok) return r;
  }
  return ok([...new Set(list.value.map((r) => r.trim()))]);
}

/**
 * How authentication lines are written: `tokengate` (our sentences, with the client IP and a dated
 * "created on" with its zone) or `seed` (the seed app's exact logger names, sentences and date format,
 * so that log-analyzer rules written for its lines keep matching).
 */
export const LOG_STYLES = ['tokengate', 'seed'] as const;
export type LogStyle = (typeof LOG_STYLES)[number];

function logStyle(value: unknown): Result<LogStyle> {
  return LOG_STYLES.includes(value as LogStyle)
    ? ok(value as LogStyle)
    : fail(`must be one of ${LOG_STYLES.join(', ')}`);
}

/** A Basic user name placeholder: empty, or a user-name-like word, compared in lower case. */
const PLACEHOLDER_PATTERN = /^([a-z0-9][a-z0-9._@-]{0,63})?$/;

function placeholderList(value: unknown): Result<string[]> {
  const list = stringArray(value);
  if (!list.ok) return list;
  if (list.value.length > 20) return fail('at most 20 placeholders');
  const out = list.value.map((p) => p.trim().toLowerCase());
  for (const p of out) if (!PLACEHOLDER_PATTERN.test(p)) return fail(`"${p}" is not a user name placeholder`);
  return ok([...new Set(out)]);
}

/** Logger names: `root`, or dotted lower-case words such as `auth.filter`. */
export const LOGGER_NAME_PATTERN = /^(root|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)$/;

function logLevels(value: unknown): Result<Record<string, LogLevel>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('must be an object of logger name to level, e.g. {"root":"INFO","auth":"INFO"}');
  }
  const out: Record<string, LogLevel> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 100) return fail('at most 100 loggers may have their own level');
  for (const [name, level] of entries) {
    if (!LOGGER_NAME_PATTERN.test(name) || name.length > 64) return fail(`"${name}" is not a logger name`);
    const upper = typeof level === 'string' ? level.toUpperCase() : level;
    if (!isLogLevel(upper)) return fail(`level of "${name}" must be one of ${LOG_LEVELS.join(', ')}`);
    out[name] = upper;
  }
  if (out.root === undefined) return fail('must set a level for "root"');
  return ok(out);
}

function groupList(value: unknown): Result<string[]> {
  const list = stringArray(value);
  if (!list.ok) return list;
  for (const g of list.value) {
    if (g !== '*' && !GROUP_NAME_PATTERN.test(g)) return fail(`"${g}" is not a group name or "*"`);
  }
  return ok([...new Set(list.value)]);
}

function prefixList(value: unknown): Result<string[]> {
  const list = stringArray(value);
  if (!list.ok) return list;
  if (list.value.length > 20) return fail('at most 20 prefixes');
  for (const p of list.value) if (!PREFIX_PATTERN.test(p)) return fail(`"${p}" is not a token prefix`);
  return ok([...new Set(list.value)]);
}

function prefix(value: unknown): Result<string> {
  return typeof value === 'string' && PREFIX_PATTERN.test(value)
    ? ok(value)
    : fail('must be 2 to 16 characters: a lower-case letter, then lower-case letters or digits');
}

/** The longest grace period of a rotation: 30 days. */
export const MAX_GRACE_SECONDS = 2_592_000;
const daysSchema = { type: ['integer', 'null'], minimum: 1, maximum: MAX_DAYS };
const groupsSchema = { type: 'array', items: { type: 'string' } };
const cidrSchema = { type: 'array', items: { type: 'string' }, maxItems: 100 };

function def<K extends SettingKey>(d: SettingDefinition<K>): SettingDefinition<K> {
  return d;
}

export const SETTING_DEFINITIONS = [
  def({
    key: 'tokens.prefix',
    schema: { type: 'string', pattern: PREFIX_PATTERN.source },
    default: DEFAULT_TOKEN_PREFIX,
    description:
      'Prefix of new tokens, before the "_". Existing tokens keep working after a change; secret scanners need the new regex.',
    parse: prefix,
  }),
  def({
    key: 'tokens.previousPrefixes',
    schema: { type: 'array', items: { type: 'string', pattern: PREFIX_PATTERN.source }, maxItems: 20 },
    default: [],
    description:
      'Former values of tokens.prefix whose tokens still work; a prefix change adds the old one here. Other prefixes (ghp_, npm_…) are never taken for tokengate tokens.',
    parse: prefixList,
  }),
  def({
    key: 'tokens.maxValidityDays',
    schema: daysSchema,
    default: 365,
    description:
      'Longest validity a new token may have, in days. null: no maximum, and tokens may never expire.',
    parse: nullableDays,
  }),
  def({
    key: 'tokens.defaultValidityDays',
    schema: daysSchema,
    default: 90,
    description:
      'Validity of a new token when the request names none, in days. null: never expires (only when there is no maximum).',
    parse: nullableDays,
  }),
  def({
    key: 'tokens.maxPerUser',
    schema: { type: 'integer', minimum: 1, maximum: 10_000 },
    default: 10,
    description: 'Most active (not revoked, not expired) tokens one user may hold.',
    parse: int(1, 10_000),
  }),
  def({
    key: 'tokens.forceReadOnly',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Tokens that users create for themselves are read-only. Managers can still create write tokens for others.',
    parse: bool,
  }),
  def({
    key: 'tokens.rotationGraceSeconds',
    schema: { type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS },
    default: 0,
    description:
      'After a rotation, the old secret keeps working this many seconds, so deployments can roll over (a rotation request may ask for less or more, up to 30 days). 0: it stops at once.',
    parse: int(0, MAX_GRACE_SECONDS),
  }),
  def({
    key: 'tokens.revokeOnReuse',
    schema: { type: 'boolean' },
    default: false,
    description:
      "A secret used after its rotation's grace period ended revokes the token, as GitLab does: a leak is likely. The attempt is audited either way (token.reused).",
    parse: bool,
  }),
  def({
    key: 'tokens.expiryWarningDays',
    schema: { type: 'integer', minimum: 0, maximum: 365 },
    default: 5,
    description:
      'This many days before a token expires its owner is warned once, by e-mail and/or webhook (config file, notifications:), and lists show "expires soon". 0: no warnings.',
    parse: int(0, 365),
  }),
  def({
    key: 'tokens.pruneExpiredAfterDays',
    schema: daysSchema,
    default: 30,
    description:
      'Expired tokens are deleted this many days after they expired, each deletion audited (token.pruned). null: expired tokens are kept.',
    parse: nullableDays,
  }),
  def({
    key: 'tokens.revokeUnusedAfterDays',
    schema: daysSchema,
    default: null,
    description:
      'Tokens not used for this many days (counted from creation when never used) are revoked, each revocation audited. null: unused tokens stay.',
    parse: nullableDays,
  }),
  def({
    key: 'permissions.useTokens',
    schema: groupsSchema,
    default: ['*'],
    description:
      'Groups whose members may authenticate with tokens; "*" means everyone. The admin group always may.',
    parse: groupList,
  }),
  def({
    key: 'permissions.createOwnTokens',
    schema: groupsSchema,
    default: ['*'],
    description: 'Groups whose members may create tokens for themselves; "*" means everyone.',
    parse: groupList,
  }),
  def({
    key: 'permissions.manageAllTokens',
    schema: groupsSchema,
    default: ['admin'],
    description:
      'Groups whose members may list, create and delete every user\'s tokens; "*" means everyone. The admin group always may.',
    parse: groupList,
  }),
  def({
    key: 'auth.basicPasswords',
    schema: { type: 'boolean' },
    default: true,
    description:
      'true: a Basic secret that is not a token, a foreign Bearer value or another scheme (Digest, NTLM, Negotiate…) is passed to the upstream for its own check. false: only tokens authenticate; anything else gets 401.',
    parse: bool,
  }),
  def({
    key: 'auth.allowedIps',
    schema: cidrSchema,
    default: [],
    description:
      'Client IPs or CIDR ranges allowed to authenticate at all, for tokens and passwords. Empty: any.',
    parse: cidrList,
  }),
  def({
    key: 'auth.trustedProxies',
    schema: cidrSchema,
    default: [],
    description:
      'Reverse proxies and load balancers whose X-Forwarded-For is believed. The client IP is the first untrusted address from the right.',
    parse: cidrList,
  }),
  def({
    key: 'auth.requireAuthentication',
    schema: { type: 'boolean' },
    default: false,
    description:
      'true: every request must authenticate with a token; no credentials, a password or a foreign Bearer value get 401 (auth.basicPasswords no longer passes passwords on). Turn it on when the upstream has no login of its own, and for Git, so clients send their token.',
    parse: bool,
  }),
  def({
    key: 'auth.readRules',
    schema: { type: 'array', items: { type: 'string' }, maxItems: 100 },
    default: ['git'],
    description:
      'Requests besides GET, HEAD and OPTIONS that a read token may make: a preset ("git": POST …/git-upload-pack with Content-Type application/x-git-upload-pack-request, so git clone works and git push does not) or "METHOD /path/pattern" with * (one segment) and ** (any depth). Whatever the rules, a read token never gets GET …/info/refs?service=git-receive-pack (the start of a push), and a method override (X-HTTP-Method-Override, _method) must name a read too.',
    parse: readRuleList,
  }),
  def({
    key: 'auth.caseSensitiveUsernames',
    schema: { type: 'boolean' },
    default: false,
    description:
      'false: user names are case-insensitive, as in Jira and Confluence (Basic "ADMIN:<token>" is the token of admin, and ADMIN signs in with admin\'s password). true: a user name must be sent exactly as stored (lower case).',
    parse: bool,
  }),
  def({
    key: 'auth.tokenUsernamePlaceholders',
    schema: { type: 'array', items: { type: 'string' }, maxItems: 20 },
    default: ['x-token-auth', 'oauth2', 'git', 'token', ''],
    description:
      'Basic user names that stand for "whoever owns the token", as Git hosts use them (x-token-auth:<token>, oauth2:<token>, :<token>). With a token as the password, such a user name is not compared with the owner: the token decides the user. With a password they mean nothing special. [] : the Basic user name must always be the owner.',
    parse: placeholderList,
  }),
  def({
    key: 'rateLimit.enabled',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Limit how many requests each token may make per window (rateLimit.requests per rateLimit.windowSeconds). A token with its own rate limit is always limited by it.',
    parse: bool,
  }),
  def({
    key: 'rateLimit.requests',
    schema: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    default: 5,
    description: 'Requests per window allowed to one token, unless the token sets its own limit.',
    parse: int(1, 1_000_000),
  }),
  def({
    key: 'rateLimit.windowSeconds',
    schema: { type: 'integer', minimum: 1, maximum: 86_400 },
    default: 300,
    description: 'Length of the rate-limit window in seconds.',
    parse: int(1, 86_400),
  }),
  def({
    key: 'bruteForce.enabled',
    schema: { type: 'boolean' },
    default: true,
    description:
      'Block clients that keep failing to authenticate: a client IP after bruteForce.ipMaxFailures failed token or password checks, and password sign-in for a user name from that client IP after bruteForce.userMaxFailures, within bruteForce.windowSeconds; the block lasts bruteForce.blockSeconds and is answered with 429. A user is never locked out for other clients. false: no block applies, including blocks already in force.',
    parse: bool,
  }),
  def({
    key: 'bruteForce.ipMaxFailures',
    schema: { type: 'integer', minimum: 1, maximum: 100_000 },
    default: 20,
    description:
      'Failed token or password checks from one client IP within bruteForce.windowSeconds that block it: every request with credentials from it then gets 429. Trusted proxies are never blocked themselves.',
    parse: int(1, 100_000),
  }),
  def({
    key: 'bruteForce.userMaxFailures',
    schema: { type: 'integer', minimum: 1, maximum: 100_000 },
    default: 10,
    description:
      "Failed checks naming one user from one client IP (a wrong password, or a wrong token with that user name in Basic auth) within bruteForce.windowSeconds that block password sign-in for that user name from that client IP; other clients can still sign in as the user. The user's tokens keep working.",
    parse: int(1, 100_000),
  }),
  def({
    key: 'bruteForce.windowSeconds',
    schema: { type: 'integer', minimum: 1, maximum: 86_400 },
    default: 300,
    description: 'The window in which failed checks are counted, in seconds (a fixed window per IP or user).',
    parse: int(1, 86_400),
  }),
  def({
    key: 'bruteForce.blockSeconds',
    schema: { type: 'integer', minimum: 1, maximum: 86_400 },
    default: 900,
    description: 'How long a block lasts, in seconds; the 429 carries the rest of it in Retry-After.',
    parse: int(1, 86_400),
  }),
  def({
    key: 'log.levels',
    schema: { type: 'object', additionalProperties: { type: 'string', enum: [...LOG_LEVELS] } },
    default: { root: 'INFO', auth: 'WARN', ratelimit: 'WARN' },
    description:
      "Log level per logger (root, server, api, proxy, auth, auth.filter, ratelimit, …); a logger without its own level inherits its parent's. Set auth and ratelimit to INFO for a line per authentication, as the seed product does.",
    parse: logLevels,
  }),
  def({
    key: 'log.style',
    schema: { type: 'string', enum: [...LOG_STYLES] },
    default: 'tokengate',
    description:
      '"seed": authentication lines use the seed app\'s logger names ([d.r.a.platform.auth.ApiTokenAuthSharedBase] …), sentences and "created on" date, so that log-analyzer rules written for that app match unchanged. "tokengate": our wording, which adds the client IP to IP denials and the zone to dates. The config file key log.style pins it per node.',
    parse: logStyle,
  }),
  def({
    key: 'audit.events.authSuccess',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Audit every successful authentication with a token. Volume: one record per authenticated request, the largest by far; with busy automation that is millions of records a day. Consider a short audit.retentionDays.',
    parse: bool,
  }),
  def({
    key: 'audit.events.authFailedToken',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Audit failed token authentications: a password or no valid token while auth.basicPasswords is off, an IP outside the allow-lists, a revoked or expired token, a disabled owner. Volume: one record per refused request; moderate, but unbounded under attack.',
    parse: bool,
  }),
  def({
    key: 'audit.events.authFailedVerification',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Audit token-shaped secrets that match no token. Volume: low; tokengate tells tokens from passwords by their checksum, so ordinary password logins never land here (unlike the seed product).',
    parse: bool,
  }),
  def({
    key: 'audit.events.permissionDenied',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Audit authenticated requests refused for lack of permission, e.g. a read token used for a write. Volume: low, one record per refused request.',
    parse: bool,
  }),
  def({
    key: 'audit.events.rateLimited',
    schema: { type: 'boolean' },
    default: false,
    description:
      'Audit requests refused by a rate limit. Volume: one record per refused request; a misbehaving client can add many.',
    parse: bool,
  }),
  def({
    key: 'audit.retentionDays',
    schema: { type: 'integer', minimum: 1, maximum: 36_500 },
    default: 1095,
    description:
      'Audit records older than this many days are purged in small batches by a background job; never sooner than audit.retentionFloorDays (config file). Each purge leaves an audit.purged record.',
    parse: int(1, 36_500),
  }),
  def({
    key: 'audit.maxRows',
    schema: { type: 'integer', minimum: 1000, maximum: 1_000_000_000 },
    default: 10_000_000,
    description:
      'The audit log keeps at most this many records; the oldest beyond it are purged first, but never one younger than audit.retentionFloorDays (config file): at the cap the log grows instead, with a WARN and the tokengate_audit_rows_held_by_floor gauge.',
    parse: int(1000, 1_000_000_000),
  }),
] as const satisfies readonly SettingDefinition[];

const BY_KEY = new Map<string, SettingDefinition>(
  SETTING_DEFINITIONS.map((d) => [d.key, d as SettingDefinition]),
);

export function isSettingKey(key: string): key is SettingKey {
  return BY_KEY.has(key);
}

export function settingDefinition(key: SettingKey): SettingDefinition {
  const d = BY_KEY.get(key);
  if (!d) throw new Error(`unknown setting ${key}`);
  return d;
}

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const d of SETTING_DEFINITIONS) out[d.key] = structuredClone(d.default);
  return out as unknown as Settings;
}

/** One setting that failed validation, named by its key. */
export interface SettingProblem {
  key: string;
  message: string;
}

/**
 * Validates a partial change against the current settings. Returns the full new settings, or every
 * problem found (unknown keys, bad values, and rules that span keys), so nothing is applied half-way.
 */
export function applySettingsChange(
  current: Settings,
  change: Record<string, unknown>,
): { ok: true; settings: Settings; changed: SettingKey[] } | { ok: false; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const next: Record<string, unknown> = { ...current };
  const changed: SettingKey[] = [];
  for (const [key, value] of Object.entries(change)) {
    if (!isSettingKey(key)) {
      problems.push({ key, message: 'unknown setting' });
      continue;
    }
    const r = settingDefinition(key).parse(value);
    if (!r.ok) {
      problems.push({ key, message: r.error });
      continue;
    }
    if (JSON.stringify(r.value) !== JSON.stringify(current[key])) changed.push(key);
    next[key] = r.value;
  }
  const settings = next as unknown as Settings;
  if (problems.length === 0) problems.push(...crossFieldProblems(settings));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings, changed };
}

function crossFieldProblems(s: Settings): SettingProblem[] {
  const max = s['tokens.maxValidityDays'];
  const def = s['tokens.defaultValidityDays'];
  if (max === null) return [];
  if (def === null) {
    return [
      {
        key: 'tokens.defaultValidityDays',
        message: `cannot be null (never expires) while tokens.maxValidityDays is ${max}`,
      },
    ];
  }
  if (def > max) {
    return [
      {
        key: 'tokens.defaultValidityDays',
        message: `${def} is more than tokens.maxValidityDays (${max})`,
      },
    ];
  }
  return [];
}

/**
 * Reads stored values over the defaults. A stored value that no longer validates (an older release
 * wrote it, or someone edited the database) falls back to the default and is reported.
 */
export function settingsFromStored(stored: Record<string, unknown>): {
  settings: Settings;
  ignored: SettingProblem[];
} {
  const out = defaultSettings() as unknown as Record<string, unknown>;
  const ignored: SettingProblem[] = [];
  for (const [key, value] of Object.entries(stored)) {
    if (!isSettingKey(key)) continue;
    const r = settingDefinition(key).parse(value);
    if (r.ok) out[key] = r.value;
    else ignored.push({ key, message: r.error });
  }
  return { settings: out as unknown as Settings, ignored };
}
