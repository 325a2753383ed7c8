import type { Static, TSchema } from 'typebox';
import { DEFAULT_TOKEN_PREFIX, PREFIX_PATTERN } from '../token/format.js';
import type { Result } from '../result.js';
import {
  boolean,
  string,
  cidrList,
  cidrs,
  days,
  distinct,
  groupList,
  integer,
  logLevelMap,
  logLevels,
  logStyle,
  anyObject,
  MAX_GRACE_SECONDS,
  placeholderList,
  prefixes,
  readRuleList,
  strings,
} from './values.js';

/**
 * Every runtime setting, once: its key (part of the public interface), TypeBox schema, default, help
 * text and any rule beyond the schema. Settings live in the database so that every node sees the same
 * values; this table is the only place that knows their shape. From it come the `Settings` type, the
 * validation (parse.ts), the defaults and the OpenAPI fragments.
 */

/** How the shape check words its refusals; parse.ts derives `invalid` from the schema when absent. */
export interface SettingMessages {
  /** The value has the wrong type or is out of range. */
  invalid?: string;
  /** A list is longer than the schema's maxItems. */
  tooMany?: string;
  /** One entry of a list does not match the schema's pattern. */
  item?: (entry: string) => string;
}

export interface SettingSpec<S extends TSchema = TSchema, I extends TSchema = S> {
  /** The stored (canonical) form; also the setting's JSON-schema fragment in the OpenAPI document. */
  schema: S;
  /** What a change must be before `refine` reads it, when looser than `schema` (default: `schema`). */
  input?: I;
  default: Static<S>;
  description: string;
  messages?: SettingMessages;
  /** Rules no JSON schema states, after the shape check; returns the canonical value. */
  refine?: (value: Static<I>) => Result<Static<S>>;
}

function setting<S extends TSchema, I extends TSchema = S>(spec: SettingSpec<S, I>): SettingSpec<S, I> {
  return spec;
}

export const SETTINGS = {
  'tokens.prefix': setting({
    schema: string(PREFIX_PATTERN),
    default: DEFAULT_TOKEN_PREFIX,
    description:
      'Prefix of new tokens, before the "_". Existing tokens keep working after a change; secret scanners need the new regex.',
    messages: {
      invalid: 'must be 2 to 16 characters: a lower-case letter, then lower-case letters or digits',
    },
  }),
  'tokens.previousPrefixes': setting({
    schema: prefixes(),
    default: [],
    description:
      'Former values of tokens.prefix whose tokens still work; a prefix change adds the old one here. Other prefixes (ghp_, npm_…) are never taken for tokengate tokens.',
    messages: { tooMany: 'at most 20 prefixes', item: (p) => `"${p}" is not a token prefix` },
    refine: distinct,
  }),
  'tokens.maxValidityDays': setting({
    schema: days(),
    default: 365,
    description:
      'Longest validity a new token may have, in days. null: no maximum, and tokens may never expire.',
  }),
  'tokens.defaultValidityDays': setting({
    schema: days(),
    default: 90,
    description:
      'Validity of a new token when the request names none, in days. null: never expires (only when there is no maximum).',
  }),
  'tokens.maxPerUser': setting({
    schema: integer(1, 10_000),
    default: 10,
    description: 'Most active (not revoked, not expired) tokens one user may hold.',
  }),
  'tokens.forceReadOnly': setting({
    schema: boolean(),
    default: false,
    description:
      'Tokens that users create for themselves are read-only. Managers can still create write tokens for others.',
  }),
  'tokens.rotationGraceSeconds': setting({
    schema: integer(0, MAX_GRACE_SECONDS),
    default: 0,
    description:
      'After a rotation, the old secret keeps working this many seconds, so deployments can roll over (a rotation request may ask for less or more, up to 30 days). 0: it stops at once.',
  }),
  'tokens.revokeOnReuse': setting({
    schema: boolean(),
    default: false,
    description:
      "A secret used after its rotation's grace period ended revokes the token, as GitLab does: a leak is likely. The attempt is audited either way (token.reused).",
  }),
  'tokens.expiryWarningDays': setting({
    schema: integer(0, 365),
    default: 5,
    description:
      'This many days before a token expires its owner is warned once, by e-mail and/or webhook (config file, notifications:), and lists show "expires soon". 0: no warnings.',
  }),
  'tokens.pruneExpiredAfterDays': setting({
    schema: days(),
    default: 30,
    description:
      'Expired tokens are deleted this many days after they expired, each deletion audited (token.pruned). null: expired tokens are kept.',
  }),
  'tokens.revokeUnusedAfterDays': setting({
    schema: days(),
    default: null,
    description:
      'Tokens not used for this many days (counted from creation when never used) are revoked, each revocation audited. null: unused tokens stay.',
  }),
  'permissions.useTokens': setting({
    schema: strings(),
    default: ['*'],
    description:
      'Groups whose members may authenticate with tokens; "*" means everyone. The admin group always may.',
    refine: groupList,
  }),
  'permissions.createOwnTokens': setting({
    schema: strings(),
    default: ['*'],
    description: 'Groups whose members may create tokens for themselves; "*" means everyone.',
    refine: groupList,
  }),
  'permissions.manageAllTokens': setting({
    schema: strings(),
    default: ['admin'],
    description:
      'Groups whose members may list, create and delete every user\'s tokens; "*" means everyone. The admin group always may.',
    refine: groupList,
  }),
  'auth.basicPasswords': setting({
    schema: boolean(),
    default: true,
    description:
      'true: a Basic secret that is not a token, a foreign Bearer value or another scheme (Digest, NTLM, Negotiate…) is passed to the upstream for its own check. false: only tokens authenticate; anything else gets 401.',
  }),
  'auth.allowedIps': setting({
    schema: cidrs(),
    default: [],
    description:
      'Client IPs or CIDR ranges allowed to authenticate at all, for tokens and passwords. Empty: any.',
    refine: cidrList,
  }),
  'auth.trustedProxies': setting({
    schema: cidrs(),
    default: [],
    description:
      'Reverse proxies and load balancers whose X-Forwarded-For is believed. The client IP is the first untrusted address from the right.',
    refine: cidrList,
  }),
  'auth.requireAuthentication': setting({
    schema: boolean(),
    default: false,
    description:
      'true: every request must authenticate with a token; no credentials, a password or a foreign Bearer value get 401 (auth.basicPasswords no longer passes passwords on). Turn it on when the upstream has no login of its own, and for Git, so clients send their token.',
  }),
  'auth.readRules': setting({
    schema: strings(100),
    default: ['git'],
    description:
      'Requests besides GET, HEAD and OPTIONS that a read token may make: a preset ("git": POST …/git-upload-pack with Content-Type application/x-git-upload-pack-request, so git clone works and git push does not) or "METHOD /path/pattern" with * (one segment) and ** (any depth). Whatever the rules, a read token never gets GET …/info/refs?service=git-receive-pack (the start of a push), and a method override (X-HTTP-Method-Override, _method) must name a read too.',
    messages: { tooMany: 'at most 100 rules are allowed' },
    refine: readRuleList,
  }),
  'auth.caseSensitiveUsernames': setting({
    schema: boolean(),
    default: false,
    description:
      'false: user names are case-insensitive, as in Jira and Confluence (Basic "ADMIN:<token>" is the token of admin, and ADMIN signs in with admin\'s password). true: a user name must be sent exactly as stored (lower case).',
  }),
  'auth.tokenUsernamePlaceholders': setting({
    schema: strings(20),
    default: ['x-token-auth', 'oauth2', 'git', 'token', ''],
    description:
      'Basic user names that stand for "whoever owns the token", as Git hosts use them (x-token-auth:<token>, oauth2:<token>, :<token>). With a token as the password, such a user name is not compared with the owner: the token decides the user. With a password they mean nothing special. [] : the Basic user name must always be the owner.',
    messages: { tooMany: 'at most 20 placeholders' },
    refine: placeholderList,
  }),
  'rateLimit.enabled': setting({
    schema: boolean(),
    default: false,
    description:
      'Limit how many requests each token may make per window (rateLimit.requests per rateLimit.windowSeconds). A token with its own rate limit is always limited by it.',
  }),
  'rateLimit.requests': setting({
    schema: integer(1, 1_000_000),
    default: 5,
    description: 'Requests per window allowed to one token, unless the token sets its own limit.',
  }),
  'rateLimit.windowSeconds': setting({
    schema: integer(1, 86_400),
    default: 300,
    description: 'Length of the rate-limit window in seconds.',
  }),
  'bruteForce.enabled': setting({
    schema: boolean(),
    default: true,
    description:
      'Block clients that keep failing to authenticate: a client IP after bruteForce.ipMaxFailures failed token or password checks, and password sign-in for a user name from that client IP after bruteForce.userMaxFailures, within bruteForce.windowSeconds; the block lasts bruteForce.blockSeconds and is answered with 429. A user is never locked out for other clients. false: no block applies, including blocks already in force.',
  }),
  'bruteForce.ipMaxFailures': setting({
    schema: integer(1, 100_000),
    default: 20,
    description:
      'Failed token or password checks from one client IP within bruteForce.windowSeconds that block it: every request with credentials from it then gets 429. Trusted proxies are never blocked themselves.',
  }),
  'bruteForce.userMaxFailures': setting({
    schema: integer(1, 100_000),
    default: 10,
    description:
      "Failed checks naming one user from one client IP (a wrong password, or a wrong token with that user name in Basic auth) within bruteForce.windowSeconds that block password sign-in for that user name from that client IP; other clients can still sign in as the user. The user's tokens keep working.",
  }),
  'bruteForce.windowSeconds': setting({
    schema: integer(1, 86_400),
    default: 300,
    description: 'The window in which failed checks are counted, in seconds (a fixed window per IP or user).',
  }),
  'bruteForce.blockSeconds': setting({
    schema: integer(1, 86_400),
    default: 900,
    description: 'How long a block lasts, in seconds; the 429 carries the rest of it in Retry-After.',
  }),
  'log.levels': setting({
    schema: logLevelMap(),
    default: { root: 'INFO', auth: 'WARN', ratelimit: 'WARN' },
    description:
      "Log level per logger (root, server, api, proxy, auth, auth.filter, ratelimit, …); a logger without its own level inherits its parent's. Set auth and ratelimit to INFO for a line per authentication, as the seed product does.",
    input: anyObject(),
    messages: { invalid: 'must be an object of logger name to level, e.g. {"root":"INFO","auth":"INFO"}' },
    refine: logLevels,
  }),
  'log.style': setting({
    schema: logStyle(),
    default: 'tokengate',
    description:
      '"seed": authentication lines use the seed app\'s logger names ([d.r.a.platform.auth.ApiTokenAuthSharedBase] …), sentences and "created on" date, so that log-analyzer rules written for that app match unchanged. "tokengate": our wording, which adds the client IP to IP denials and the zone to dates. The config file key log.style pins it per node.',
  }),
  'audit.events.authSuccess': setting({
    schema: boolean(),
    default: false,
    description:
      'Audit every successful authentication with a token. Volume: one record per authenticated request, the largest by far; with busy automation that is millions of records a day. Consider a short audit.retentionDays.',
  }),
  'audit.events.authFailedToken': setting({
    schema: boolean(),
    default: false,
    description:
      'Audit failed token authentications: a password or no valid token while auth.basicPasswords is off, an IP outside the allow-lists, a revoked or expired token, a disabled owner. Volume: one record per refused request; moderate, but unbounded under attack.',
  }),
  'audit.events.authFailedVerification': setting({
    schema: boolean(),
    default: false,
    description:
      'Audit token-shaped secrets that match no token. Volume: low; tokengate tells tokens from passwords by their checksum, so ordinary password logins never land here (unlike the seed product).',
  }),
  'audit.events.permissionDenied': setting({
    schema: boolean(),
    default: false,
    description:
      'Audit authenticated requests refused for lack of permission, e.g. a read token used for a write. Volume: low, one record per refused request.',
  }),
  'audit.events.rateLimited': setting({
    schema: boolean(),
    default: false,
    description:
      'Audit requests refused by a rate limit. Volume: one record per refused request; a misbehaving client can add many.',
  }),
  'audit.retentionDays': setting({
    schema: integer(1, 36_500),
    default: 1095,
    description:
      'Audit records older than this many days are purged in small batches by a background job; never sooner than audit.retentionFloorDays (config file). Each purge leaves an audit.purged record.',
  }),
  'audit.maxRows': setting({
    schema: integer(1000, 1_000_000_000),
    default: 10_000_000,
    description:
      'The audit log keeps at most this many records; the oldest beyond it are purged first, but never one younger than audit.retentionFloorDays (config file): at the cap the log grows instead, with a WARN and the tokengate_audit_rows_held_by_floor gauge.',
  }),
};

type Specs = typeof SETTINGS;

export type Settings = { -readonly [K in keyof Specs]: Static<Specs[K]['schema']> };

export type SettingKey = keyof Settings;
