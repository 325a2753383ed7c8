import { Type, type Static } from 'typebox';
import { MAX_DESCRIPTION_LENGTH } from '../../../../domain/token/token.js';
import { TokenIdParams } from '../../schemas.js';

/**
 * Request and response shapes of the seed app's REST API, as its documentation and its users' scripts
 * show them (docs/migration.md says which parts are confirmed and which are our choice).
 */

/** A hundred years of months: beyond that a validity is a typo. */
export const MAX_MONTHS = 1200;
/** Largest `limit` of one tokensByFilter page. */
export const MAX_FILTER_LIMIT = 1000;
/** Page size of tokensByFilter when `limit` is absent (Spring Data's default page size). */
export const DEFAULT_FILTER_LIMIT = 20;

/** 9999-12-31T23:59:59.999Z: the latest instant an ISO 8601 date-time can name with four year digits. */
const LAST_MS_OF_9999 = 253_402_300_799_999;

/**
 * Left out of the OpenAPI document: it describes tokengate's own API, and test/api-authz-matrix.test.ts
 * holds one row per documented operation. docs/migration.md documents these calls.
 */
const HIDDEN = { hide: true, tags: ['seed app compatibility'] } as const;

/** The original's scope numbers: 0 none (tokens from before its 1.5.0), 1 read-only, 2 read/write. */
const ScopeNumber = Type.Union([Type.Literal(1), Type.Literal(2)], {
  description: '1: read-only (GET, HEAD, OPTIONS). 2: read/write.',
});

export const CompatCreateBody = Type.Object(
  {
    tokenDescription: Type.String({ maxLength: MAX_DESCRIPTION_LENGTH }),
    tokenValidityTimeInMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MONTHS })),
    tokenExpirationDateTime: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'ISO 8601 with a zone, e.g. 2027-10-19T10:29:00.000+02:00, or a date (midnight UTC).',
      }),
    ),
    tokenExpirationDateTimeMillis: Type.Optional(Type.Integer({ minimum: 0, maximum: LAST_MS_OF_9999 })),
    tokenForUserKey: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'The user name: tokengate has no user keys.' }),
    ),
    tokenScope: Type.Optional(ScopeNumber),
  },
  { additionalProperties: false },
);
export type CompatCreateBody = Static<typeof CompatCreateBody>;

export const CompatPatchBody = Type.Object(
  { tokenDescription: Type.String({ maxLength: MAX_DESCRIPTION_LENGTH }) },
  { additionalProperties: false },
);

export const CompatIdParams = TokenIdParams;

const EpochMs = (description: string) => Type.Integer({ minimum: 0, description });

export const CompatToken = Type.Object({
  id: Type.String({ description: "tokengate's token id (a string, where the original had a number)." }),
  description: Type.String(),
  created: EpochMs('Epoch milliseconds.'),
  lastAccessed: EpochMs('Epoch milliseconds; 0 when never used.'),
  validUntil: EpochMs('Epoch milliseconds; 0 when it never expires.'),
  tokenScope: ScopeNumber,
  userKey: Type.String({ description: 'The owner (tokengate has no user keys: the user name).' }),
  userName: Type.String(),
});

/** A Spring Data page, the envelope the original's lists come in (`content` is confirmed). */
export const CompatPage = Type.Object({
  content: Type.Array(CompatToken),
  totalElements: Type.Integer(),
  totalPages: Type.Integer(),
  number: Type.Integer({ description: 'This page, from 0.' }),
  size: Type.Integer({ description: 'The page size asked for.' }),
  numberOfElements: Type.Integer(),
  first: Type.Boolean(),
  last: Type.Boolean(),
  empty: Type.Boolean(),
});

export const CompatCreated = Type.Object({
  ...CompatToken.properties,
  plainTextToken: Type.String({ description: 'The plain token. Shown this once.' }),
  tokenDescription: Type.String(),
  tokenExpirationDateTime: Type.Union([Type.String(), Type.Null()]),
  tokenExpirationDateTimeMillis: EpochMs('Epoch milliseconds; 0 when it never expires.'),
});

/** The original's error body is `{errorMessage}`; ours rides along, so both kinds of script can read it. */
export const CompatError = Type.Object({
  errorMessage: Type.String(),
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

const CompatErrors = { 400: CompatError, 401: CompatError, 403: CompatError, 404: CompatError } as const;

const epochQuery = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }));

export const CompatFilterQuery = Type.Object(
  {
    userFilter: Type.Optional(
      Type.Union(
        [Type.String({ maxLength: 64 }), Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })],
        {
          description: 'A user name; repeat the parameter for several users.',
        },
      ),
    ),
    descriptionFilter: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
    tokenScope: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2,
        description: '0: no scope (none in tokengate), 1: read, 2: write.',
      }),
    ),
    notValidAfter: epochQuery('Tokens that expire at or before this time (epoch ms).'),
    fromCreated: epochQuery('Epoch ms.'),
    untilCreated: epochQuery('Epoch ms.'),
    fromLastUsed: epochQuery('Epoch ms.'),
    untilLastUsed: epochQuery('Epoch ms.'),
    fromExpiresDuring: epochQuery('Epoch ms.'),
    untilExpiresDuring: epochQuery('Epoch ms.'),
    page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0, description: 'From 0.' })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_FILTER_LIMIT, default: DEFAULT_FILTER_LIMIT }),
    ),
  },
  { additionalProperties: false },
);
export type CompatFilterQuery = Static<typeof CompatFilterQuery>;

/** Route schemas: validation and serialization of the compatible subset. */
export const ROUTE_SCHEMAS = {
  list: {
    ...HIDDEN,
    summary: 'Your tokens, as the seed app lists them (revoked ones left out)',
    response: { 200: CompatPage, ...CompatErrors },
  },
  create: {
    ...HIDDEN,
    summary: 'Create a token, the seed app way; returns plainTextToken once',
    body: CompatCreateBody,
    response: { 200: CompatCreated, ...CompatErrors },
  },
  patch: {
    ...HIDDEN,
    summary: "Change a token's description",
    params: CompatIdParams,
    body: CompatPatchBody,
    response: { 200: CompatToken, ...CompatErrors },
  },
  remove: {
    ...HIDDEN,
    summary: 'Delete (revoke) a token; returns true',
    params: CompatIdParams,
    response: { 200: Type.Boolean(), ...CompatErrors },
  },
  filter: {
    ...HIDDEN,
    summary: "Every user's tokens, filtered and paged (needs manageAllTokens)",
    querystring: CompatFilterQuery,
    response: { 200: CompatPage, ...CompatErrors },
  },
} as const;
