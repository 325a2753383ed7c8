import { Type, type Static } from 'typebox';
import { ERROR_CATALOGUE, type ErrorCode } from '../../domain/errors.js';
import { MAX_GRACE_SECONDS, SETTING_DEFINITIONS } from '../../domain/settings.js';
import { PREFIX_PATTERN } from '../../domain/token/format.js';
import { MAX_DESCRIPTION_LENGTH } from '../../domain/token/token.js';
import { PageOf, PageQuery } from './paging.js';

/** JSON schemas of the management API. They validate requests, shape responses and feed the OpenAPI document. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Unsafe<ErrorCode>({
        type: 'string',
        enum: Object.keys(ERROR_CATALOGUE),
        description: 'The error catalogue\'s code (docs/api.md, "Errors"): stable, match on it.',
      }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  {
    $id: 'Error',
    description: 'Every error has this shape; `code` is from the error catalogue (docs/api.md).',
  },
);

/** The error responses every authenticated route can give. */
export const ErrorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
} as const;

export const RateLimit = Type.Object(
  {
    requests: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  },
  { additionalProperties: false },
);

export const Scope = Type.Union([Type.Literal('read'), Type.Literal('write')], {
  description: '`read`: GET, HEAD and OPTIONS. `write`: every method.',
});

export const TokenView = Type.Object(
  {
    id: Type.String({ description: 'Public id, not the secret.' }),
    user: Type.String(),
    description: Type.String(),
    scope: Scope,
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    createdAt: DateTime,
    createdBy: Type.String(),
    expiresAt: Nullable(DateTime),
    lastUsedAt: Nullable(DateTime),
    lastUsedIp: Nullable(Type.String()),
    allowedIps: Nullable(Type.Array(Type.String())),
    rateLimit: Nullable(RateLimit),
    revokedAt: Nullable(DateTime),
    revokedBy: Nullable(Type.String()),
    useCount: Type.Integer({
      description: 'Requests authenticated with this token so far (counted in batches).',
    }),
    expiresSoon: Type.Boolean({
      description: 'Active, and expires within tokens.expiryWarningDays days: its owner is warned.',
    }),
    rotatedAt: Nullable(DateTime),
    secretIssuedBy: Nullable(
      Type.String({
        description:
          'Who was handed the current secret: the creator, then whoever rotated it. null: unknown (rotated before tokengate recorded it).',
      }),
    ),
  },
  { $id: 'Token' },
);

export const CreateTokenBody = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: MAX_DESCRIPTION_LENGTH }),
    scope: Type.Optional(Scope),
    expiresAt: Type.Optional(
      Nullable(
        Type.String({
          description: 'ISO 8601. null asks for a token that never expires, if the policy allows.',
        }),
      ),
    ),
    validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
    allowedIps: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    rateLimit: Type.Optional(RateLimit),
  },
  { additionalProperties: false, $id: 'CreateToken' },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

export const CreatedTokenResponse = Type.Object(
  {
    token: Type.String({
      description: 'The plain token. Shown this once; store it now.',
      pattern: `^${PREFIX_PATTERN.source.slice(1, -1)}_[0-9A-Za-z]{36}$`,
    }),
    record: TokenView,
  },
  { $id: 'CreatedToken' },
);

export const PatchTokenBody = Type.Object(
  { description: Type.String({ minLength: 1, maxLength: MAX_DESCRIPTION_LENGTH }) },
  { additionalProperties: false },
);

export const RotateTokenBody = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_SECONDS,
        description:
          'How long the old secret keeps working, in seconds (at most 30 days). Default: tokens.rotationGraceSeconds.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RotateTokenBody = Static<typeof RotateTokenBody>;

export const TokenIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const UserParams = Type.Object({ user: Type.String({ maxLength: 64 }) });

/** The query of a list that has no filter (GET /tokens, GET /admin/users): the page only. */
export const PageOnlyQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const TokenSearchQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ maxLength: 64 })),
    description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
    scope: Type.Optional(Scope),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    ),
    createdFrom: Type.Optional(DateTime),
    createdTo: Type.Optional(DateTime),
    lastUsedFrom: Type.Optional(DateTime),
    lastUsedTo: Type.Optional(DateTime),
    expiresFrom: Type.Optional(DateTime),
    expiresTo: Type.Optional(DateTime),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type TokenSearchQuery = Static<typeof TokenSearchQuery>;

export const TokenPage = PageOf(TokenView, 'TokenPage', 'Newest first, then by id.');

export const RevokedTokens = Type.Object({
  revoked: Type.Integer(),
  tokenIds: Type.Array(Type.String()),
});

export const UserView = Type.Object(
  {
    username: Type.String(),
    displayName: Type.String(),
    email: Nullable(Type.String()),
    groups: Type.Array(Type.String()),
    disabled: Type.Boolean(),
    hasPassword: Type.Boolean(),
    source: Type.Union(
      [
        Type.Literal('local'),
        Type.Literal('ldap'),
        Type.Literal('oidc'),
        Type.Literal('sso-header'),
        Type.Literal('service'),
      ],
      {
        description:
          'Where the user comes from: tokengate itself (local), a directory or SSO that vouched for them at sign-in (ldap, oidc, sso-header), or a service account (service).',
      },
    ),
    lastSignInAt: Nullable(DateTime),
    ownerGroup: Nullable(
      Type.String({ description: "A service account's owning group: its members manage its tokens." }),
    ),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'User' },
);

export const UserPage = PageOf(UserView, 'UserPage', 'By user name.');

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
    groups: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    serviceAccount: Type.Optional(
      Type.Boolean({
        description:
          'A service account: no password, never signs in; token managers and the members of ownerGroup manage its tokens.',
      }),
    ),
    ownerGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false, $id: 'CreateUser' },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const PatchUserBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
    groups: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    password: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 1024 }))),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1, $id: 'UserChange' },
);
export type PatchUserBody = Static<typeof PatchUserBody>;

export const MeResponse = Type.Object({
  user: UserView,
  authenticatedWith: Type.Union([Type.Literal('password'), Type.Literal('token'), Type.Literal('session')]),
  tokenId: Nullable(Type.String()),
  tokenScope: Nullable(Scope),
  permissions: Type.Object({
    useTokens: Type.Boolean(),
    createOwnTokens: Type.Boolean(),
    manageAllTokens: Type.Boolean(),
    admin: Type.Boolean(),
  }),
  policy: Type.Object(
    {
      maxValidityDays: Type.Union([Type.Integer(), Type.Null()]),
      defaultValidityDays: Type.Union([Type.Integer(), Type.Null()]),
      forceReadOnly: Type.Boolean(),
      maxPerUser: Type.Integer(),
      tokenPrefix: Type.String(),
      rotationGraceSeconds: Type.Integer({
        description: "tokens.rotationGraceSeconds: a rotation's default grace period.",
      }),
      expiryWarningDays: Type.Integer({
        description: 'tokens.expiryWarningDays: how many days before expiry a token counts as expiring soon.',
      }),
    },
    {
      description:
        'The token policy that applies to tokens the caller creates, so a client can offer only what is allowed.',
    },
  ),
});

/** Settings: one property per key, each with its own schema and help text. */
export const SettingsObject = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    SETTING_DEFINITIONS.map((d) => [d.key, { ...d.schema, description: d.description, default: d.default }]),
  ),
});

/** A PATCH body is an object of keys to new values; unknown keys and bad values are reported per key. */
export const SettingsPatch = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  minProperties: 1,
  description: 'Keys and new values; see the Settings schema. Unknown keys are refused.',
});

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  nodeId: Type.String(),
  database: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
});
