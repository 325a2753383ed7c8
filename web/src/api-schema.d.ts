/* eslint-disable */
/**
 * Generated from the management API's OpenAPI document by scripts/openapi.ts: do not edit.
 * Run `npm run gen:api` after changing a route's schema (test/openapi-types.test.ts checks it).
 */
export interface paths {
  '/_tokengate/api/v1/admin/audit': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Search the audit log
     * @description Filters combine with AND; time bounds are inclusive. Newest first by `time` (then `seq`), with cursor paging that stays stable while new records arrive.
     */
    get: operations['adminSearchAudit'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/audit/export': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Export the audit log
     * @description Every matching record, newest first, streamed a page at a time (never built whole in memory). Same filters as the search. CSV columns: seq, id, time, category, action, summary, author, affectedUser, tokenId, tokenDescription, sourceIp, proxyIp, nodeId, requestId, method, endpoint, outcome, details, prevHash, hash; `time` is ISO 8601 UTC, `details` canonical JSON. The CSV parses back to exactly the same records.
     */
    get: operations['adminExportAudit'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/audit/verify': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Verify the audit hash chain
     * @description Walks the whole chain from the genesis or the last retention checkpoint to its head and reports the first record that was modified, deleted or reordered. It reads every record, so on a large log it takes a while.
     */
    get: operations['adminVerifyAudit'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/log-levels': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The log level of every configured logger */
    get: operations['adminListLogLevels'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/log-levels/{logger}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Set one logger's level on every node
     * @description level null removes the logger's own level, so it inherits its parent's. The root logger always has a level.
     */
    put: operations['adminSetLogLevel'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/settings': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Every setting with its current value
     * @description The ETag header is their version, for If-Match on PATCH.
     */
    get: operations['adminGetSettings'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /**
     * Change settings
     * @description All keys are checked before any is written: one bad key or value refuses the whole change. Every changed key is audited with its old and new value.
     */
    patch: operations['adminUpdateSettings'];
    trace?: never;
  };
  '/_tokengate/api/v1/admin/settings/schema': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every setting with its type, default and help text */
    get: operations['adminGetSettingsSchema'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/stats': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Authentication outcomes over time, most used tokens, tokens expiring soon */
    get: operations['adminGetStats'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/tokens': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Search every user's tokens
     * @description Filters combine with AND. Time ranges are inclusive ISO 8601 date-times. Newest first, with cursor paging.
     */
    get: operations['adminListTokens'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/tokens/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Any token
     * @description The ETag header is its version, for If-Match on DELETE.
     */
    get: operations['adminGetToken'];
    put?: never;
    post?: never;
    /** Revoke any token */
    delete: operations['adminRevokeToken'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/tokens/{id}/rotate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Rotate any token
     * @description Returns a new secret for the same token, shown once; scope, IP allow-list, rate limit, description and expiry are kept. The old secret keeps working for graceSeconds (default tokens.rotationGraceSeconds), then its use is audited as token.reused (and revokes the token with tokens.revokeOnReuse). A revoked or expired token cannot be rotated (409). Only the admin group may rotate an administrator's token.
     */
    post: operations['adminRotateToken'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/users': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List users
     * @description By user name, a page at a time, as every list (docs/api.md, "Lists and paging").
     */
    get: operations['adminListUsers'];
    put?: never;
    /**
     * Add a user
     * @description Without a password the user can only authenticate with tokens that a manager creates.
     */
    post: operations['adminCreateUser'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/admin/users/{user}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One user
     * @description The ETag header is its version, for If-Match on PATCH and DELETE.
     */
    get: operations['adminGetUser'];
    put?: never;
    post?: never;
    /** Delete a user and their tokens */
    delete: operations['adminDeleteUser'];
    options?: never;
    head?: never;
    /**
     * Change a user
     * @description Disabling a user stops all their tokens at once. password: null removes the password.
     */
    patch: operations['adminUpdateUser'];
    trace?: never;
  };
  '/_tokengate/api/v1/admin/users/{user}/tokens': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Create a token for a user
     * @description The scope is the creator's choice; tokens.forceReadOnly applies only to tokens users create for themselves.
     */
    post: operations['adminCreateUserToken'];
    /** Revoke every token of a user */
    delete: operations['adminRevokeUserTokens'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/me': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The authenticated user and their permissions */
    get: operations['getMe'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/me/password': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Change your own password
     * @description Needs your current password, and a session or password authentication: a token cannot set passwords (403). A wrong current password is 403 naming `currentPassword` and counts as a failed sign-in (brute-force blocking). The new password follows the same rules as one an admin sets. Every session of the user ends; a web UI session gets a new one in the answer.
     */
    put: operations['changeMyPassword'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/session': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The current web UI session */
    get: operations['getSession'];
    put?: never;
    /** Sign in to the web UI */
    post: operations['createSession'];
    /** Sign out */
    delete: operations['deleteSession'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/tokens': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List your tokens, every status, newest first
     * @description A page at a time, as every list (docs/api.md, "Lists and paging").
     */
    get: operations['listTokens'];
    put?: never;
    /**
     * Create a token for yourself
     * @description Returns the plain token once. Without expiresAt or validityDays the token gets tokens.defaultValidityDays. An expiry beyond tokens.maxValidityDays is refused with a message naming the latest allowed date.
     */
    post: operations['createToken'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/api/v1/tokens/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One of your tokens
     * @description The ETag header is its version, for If-Match on PATCH and DELETE.
     */
    get: operations['getToken'];
    put?: never;
    post?: never;
    /**
     * Revoke one of your tokens
     * @description The token stops working at once. It stays listed with status "revoked" until pruned.
     */
    delete: operations['revokeToken'];
    options?: never;
    head?: never;
    /** Change a token's description */
    patch: operations['updateToken'];
    trace?: never;
  };
  '/_tokengate/api/v1/tokens/{id}/rotate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Rotate one of your tokens: a new secret, the old one stops after a grace period
     * @description Returns a new secret for the same token, shown once; scope, IP allow-list, rate limit, description and expiry are kept. The old secret keeps working for graceSeconds (default tokens.rotationGraceSeconds), then its use is audited as token.reused (and revokes the token with tokens.revokeOnReuse). A revoked or expired token cannot be rotated (409). A token may rotate itself when it has write scope.
     */
    post: operations['rotateToken'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness and database health */
    get: operations['getHealth'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/livez': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: the process answers (checks no dependency) */
    get: operations['getLiveness'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/_tokengate/readyz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: the database, Redis in cluster mode and optionally the upstream answer */
    get: operations['getReadiness'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    AuditPage: {
      /** @description Matching records, newest first: by `time`, then by `seq` among records of the same millisecond. */
      items: components['schemas']['AuditRecord'][];
      /** @description Pass as `cursor` for the next page (the `Link: rel="next"` header has the whole URL); null on the last page. */
      nextCursor: string | null;
    };
    /** @description One audit record. It never holds a secret or a token hash. */
    AuditRecord: {
      /** @description What happened, such as `token.created` or `settings.changed`. */
      action: string;
      /** @description The user the event is about. */
      affectedUser: string | null;
      /** @description The authenticated user who acted, `@cli` for the command line, or `anonymous` when nobody was authenticated. */
      author: string;
      /** @description The area of the event: tokens, users, settings, authentication, logging. */
      category: 'tokens' | 'users' | 'settings' | 'authentication' | 'logging';
      /** @description Event details, such as old and new setting values, the scope, or the rate limit. */
      details: {
        [key: string]: unknown;
      } | null;
      /** @description The route or path of the request. */
      endpoint: string | null;
      /** @description SHA-256 (hex) over prevHash and this record’s canonical content. */
      hash: string;
      /** @description Row id in the database. */
      id: number;
      /** @description HTTP method of the request. */
      method: string | null;
      /** @description The tokengate node that recorded the event. */
      nodeId: string | null;
      /** @description The outcome or the reason, such as `success` or `expired`. */
      outcome: string | null;
      /** @description SHA-256 (hex) of the previous record's hash: the chain link. */
      prevHash: string;
      /** @description The trusted proxy or load balancer that connected to tokengate; null for a direct client. */
      proxyIp: string | null;
      /** @description The request id (the X-Request-Id response header). */
      requestId: string | null;
      /** @description Position in the hash chain: 1, 2, 3… in commit order, without gaps. Breaks ties between records of the same millisecond. */
      seq: number;
      /** @description The client IP, as far as trusted proxies vouch for it (settings trustedProxies). */
      sourceIp: string | null;
      /** @description One human-readable sentence. */
      summary: string;
      /**
       * Format: date-time
       * @description When it happened: ISO 8601, UTC, milliseconds. Lists are ordered by it, newest first.
       */
      time: string;
      /** @description That token's description when the event happened. */
      tokenDescription: string | null;
      /** @description The token the event is about (its public id, never the secret). */
      tokenId: string | null;
    };
    CreatedToken: {
      record: components['schemas']['Token'];
      /** @description The plain token. Shown this once; store it now. */
      token: string;
    };
    CreateToken: {
      allowedIps?: string[];
      description: string;
      /** @description ISO 8601. null asks for a token that never expires, if the policy allows. */
      expiresAt?: string | null;
      rateLimit?: {
        requests: number;
        windowSeconds: number;
      };
      /** @description `read`: GET, HEAD and OPTIONS. `write`: every method. */
      scope?: 'read' | 'write';
      validityDays?: number;
    };
    CreateUser: {
      displayName?: string;
      email?: string | null;
      groups?: string[];
      ownerGroup?: string;
      password?: string;
      /** @description A service account: no password, never signs in; token managers and the members of ownerGroup manage its tokens. */
      serviceAccount?: boolean;
      username: string;
    };
    Error: {
      error: {
        /**
         * @description The error catalogue's code (docs/api.md, "Errors"): stable, match on it.
         * @enum {string}
         */
        code:
          | 'invalid_request'
          | 'policy_violation'
          | 'unauthorized'
          | 'forbidden'
          | 'not_found'
          | 'conflict'
          | 'method_not_allowed'
          | 'request_timeout'
          | 'precondition_failed'
          | 'payload_too_large'
          | 'unsupported_media_type'
          | 'rate_limited'
          | 'internal'
          | 'bad_gateway'
          | 'unavailable'
          | 'gateway_timeout';
        details?: unknown;
        message: string;
      };
    };
    Token: {
      allowedIps: string[] | null;
      /** Format: date-time */
      createdAt: string;
      createdBy: string;
      description: string;
      /** Format: date-time */
      expiresAt: string | null;
      /** @description Active, and expires within tokens.expiryWarningDays days: its owner is warned. */
      expiresSoon: boolean;
      /** @description Public id, not the secret. */
      id: string;
      /** Format: date-time */
      lastUsedAt: string | null;
      lastUsedIp: string | null;
      rateLimit: {
        requests: number;
        windowSeconds: number;
      } | null;
      /** Format: date-time */
      revokedAt: string | null;
      revokedBy: string | null;
      /** Format: date-time */
      rotatedAt: string | null;
      /** @description `read`: GET, HEAD and OPTIONS. `write`: every method. */
      scope: 'read' | 'write';
      /** @description Who was handed the current secret: the creator, then whoever rotated it. null: unknown (rotated before tokengate recorded it). */
      secretIssuedBy: string | null;
      status: 'active' | 'expired' | 'revoked';
      /** @description Requests authenticated with this token so far (counted in batches). */
      useCount: number;
      user: string;
    };
    TokenPage: {
      /** @description Newest first, then by id. */
      items: components['schemas']['Token'][];
      /** @description Pass as `cursor` for the next page (the `Link: rel="next"` header has the whole URL); null on the last page. */
      nextCursor: string | null;
    };
    User: {
      /** Format: date-time */
      createdAt: string;
      disabled: boolean;
      displayName: string;
      email: string | null;
      groups: string[];
      hasPassword: boolean;
      /** Format: date-time */
      lastSignInAt: string | null;
      /** @description A service account's owning group: its members manage its tokens. */
      ownerGroup: string | null;
      /** @description Where the user comes from: tokengate itself (local), a directory or SSO that vouched for them at sign-in (ldap, oidc, sso-header), or a service account (service). */
      source: 'local' | 'ldap' | 'oidc' | 'sso-header' | 'service';
      /** Format: date-time */
      updatedAt: string;
      username: string;
    };
    UserChange: {
      disabled?: boolean;
      displayName?: string;
      email?: string | null;
      groups?: string[];
      password?: string | null;
    };
    UserPage: {
      /** @description By user name. */
      items: components['schemas']['User'][];
      /** @description Pass as `cursor` for the next page (the `Link: rel="next"` header has the whole URL); null on the last page. */
      nextCursor: string | null;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  adminSearchAudit: {
    parameters: {
      query?: {
        /** @description Only this action, e.g. `token.revoked`. */
        action?: string;
        /** @description Only records about this user. */
        affectedUser?: string;
        /** @description Only records by this author (a user name, `@cli` or `anonymous`). */
        author?: string;
        /** @description The area of the event: tokens, users, settings, authentication, logging. */
        category?: 'tokens' | 'users' | 'settings' | 'authentication' | 'logging';
        /** @description The `nextCursor` of the previous page (also in its `Link: rel="next"` header), with the same other parameters; opaque. */
        cursor?: string;
        /** @description Only records at or after this ISO 8601 date-time. */
        from?: string;
        /** @description Only records whose source IP or proxy IP is this address (exact, not a range). */
        ip?: string;
        /** @description Items per page, 1 to 500; default 50. 0 or more than 500 is refused (400). */
        limit?: number;
        /** @description Only records written by this node. */
        nodeId?: string;
        /** @description Free text, case-insensitive: in the summary, the token description, the author, the affected user or the details. */
        q?: string;
        /** @description Only records at or before this ISO 8601 date-time. */
        to?: string;
        /** @description Only records about this token id. */
        tokenId?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AuditPage'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminExportAudit: {
    parameters: {
      query: {
        /** @description Only this action, e.g. `token.revoked`. */
        action?: string;
        /** @description Only records about this user. */
        affectedUser?: string;
        /** @description Only records by this author (a user name, `@cli` or `anonymous`). */
        author?: string;
        /** @description The area of the event: tokens, users, settings, authentication, logging. */
        category?: 'tokens' | 'users' | 'settings' | 'authentication' | 'logging';
        /** @description `csv`: RFC 4180 with a header row; an empty field is null and `""` an empty string. `jsonl`: one JSON object per line, as in the search response. */
        format: 'csv' | 'jsonl';
        /** @description Only records at or after this ISO 8601 date-time. */
        from?: string;
        /** @description Only records whose source IP or proxy IP is this address (exact, not a range). */
        ip?: string;
        /** @description Only records written by this node. */
        nodeId?: string;
        /** @description Free text, case-insensitive: in the summary, the token description, the author, the affected user or the details. */
        q?: string;
        /** @description Only records at or before this ISO 8601 date-time. */
        to?: string;
        /** @description Only records about this token id. */
        tokenId?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The export, as an attachment. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/x-ndjson': string;
          'text/csv': string;
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminVerifyAudit: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Records whose hash and link were checked. */
            checked: number;
            /** @description Where the walk started: 0 (the genesis) or the retention checkpoint after a purge. */
            fromSeq: number;
            /** @description The chain head the database records; null for an empty log. */
            headSeq: number | null;
            /** @description True when the whole chain is intact. */
            ok: boolean;
            /** @description The first problem found; null when ok. */
            problem:
              | {
                  /** @description `modified`: a record does not match its hash. `deleted`: records are missing. `reordered`: a record is out of place. */
                  kind: 'modified' | 'deleted' | 'reordered';
                  /** @description What is wrong, in words. */
                  message: string;
                  /** @description The chain position where the problem shows. */
                  seq: number;
                }
              | (never | null);
            /** @description The retention purges the walk passed, oldest first. */
            purges: {
              /** @description The purge record. */
              seq: number;
              /** @description What was purged, under which setting, set by whom (as `tokengate audit verify` prints it). */
              summary: string;
            }[];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminListLogLevels: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Level per logger; a logger not listed inherits from its parent (auth.filter from auth, then root). */
            levels: {
              [key: string]: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
            };
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminSetLogLevel: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        logger: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description TRACE, DEBUG, INFO, WARN, ERROR, OFF (any case) */
          level: string | null;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Level per logger; a logger not listed inherits from its parent (auth.filter from auth, then root). */
            levels: {
              [key: string]: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
            };
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminGetSettings: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Audit failed token authentications: a password or no valid token while auth.basicPasswords is off, an IP outside the allow-lists, a revoked or expired token, a disabled owner. Volume: one record per refused request; moderate, but unbounded under attack.
             * @default false
             */
            'audit.events.authFailedToken': boolean;
            /**
             * @description Audit token-shaped secrets that match no token. Volume: low; tokengate tells tokens from passwords by their checksum, so ordinary password logins never land here (unlike the seed product).
             * @default false
             */
            'audit.events.authFailedVerification': boolean;
            /**
             * @description Audit every successful authentication with a token. Volume: one record per authenticated request, the largest by far; with busy automation that is millions of records a day. Consider a short audit.retentionDays.
             * @default false
             */
            'audit.events.authSuccess': boolean;
            /**
             * @description Audit authenticated requests refused for lack of permission, e.g. a read token used for a write. Volume: low, one record per refused request.
             * @default false
             */
            'audit.events.permissionDenied': boolean;
            /**
             * @description Audit requests refused by a rate limit. Volume: one record per refused request; a misbehaving client can add many.
             * @default false
             */
            'audit.events.rateLimited': boolean;
            /**
             * @description The audit log keeps at most this many records; the oldest beyond it are purged first, but never one younger than audit.retentionFloorDays (config file): at the cap the log grows instead, with a WARN and the tokengate_audit_rows_held_by_floor gauge.
             * @default 10000000
             */
            'audit.maxRows': number;
            /**
             * @description Audit records older than this many days are purged in small batches by a background job; never sooner than audit.retentionFloorDays (config file). Each purge leaves an audit.purged record.
             * @default 1095
             */
            'audit.retentionDays': number;
            /**
             * @description Client IPs or CIDR ranges allowed to authenticate at all, for tokens and passwords. Empty: any.
             * @default []
             */
            'auth.allowedIps': string[];
            /**
             * @description true: a Basic secret that is not a token, a foreign Bearer value or another scheme (Digest, NTLM, Negotiate…) is passed to the upstream for its own check. false: only tokens authenticate; anything else gets 401.
             * @default true
             */
            'auth.basicPasswords': boolean;
            /**
             * @description false: user names are case-insensitive, as in Jira and Confluence (Basic "ADMIN:<token>" is the token of admin, and ADMIN signs in with admin's password). true: a user name must be sent exactly as stored (lower case).
             * @default false
             */
            'auth.caseSensitiveUsernames': boolean;
            /**
             * @description Requests besides GET, HEAD and OPTIONS that a read token may make: a preset ("git": POST …/git-upload-pack with Content-Type application/x-git-upload-pack-request, so git clone works and git push does not) or "METHOD /path/pattern" with * (one segment) and ** (any depth). Whatever the rules, a read token never gets GET …/info/refs?service=git-receive-pack (the start of a push), and a method override (X-HTTP-Method-Override, _method) must name a read too.
             * @default [
             *       "git"
             *     ]
             */
            'auth.readRules': string[];
            /**
             * @description true: every request must authenticate with a token; no credentials, a password or a foreign Bearer value get 401 (auth.basicPasswords no longer passes passwords on). Turn it on when the upstream has no login of its own, and for Git, so clients send their token.
             * @default false
             */
            'auth.requireAuthentication': boolean;
            /**
             * @description Basic user names that stand for "whoever owns the token", as Git hosts use them (x-token-auth:<token>, oauth2:<token>, :<token>). With a token as the password, such a user name is not compared with the owner: the token decides the user. With a password they mean nothing special. [] : the Basic user name must always be the owner.
             * @default [
             *       "x-token-auth",
             *       "oauth2",
             *       "git",
             *       "token",
             *       ""
             *     ]
             */
            'auth.tokenUsernamePlaceholders': string[];
            /**
             * @description Reverse proxies and load balancers whose X-Forwarded-For is believed. The client IP is the first untrusted address from the right.
             * @default []
             */
            'auth.trustedProxies': string[];
            /**
             * @description How long a block lasts, in seconds; the 429 carries the rest of it in Retry-After.
             * @default 900
             */
            'bruteForce.blockSeconds': number;
            /**
             * @description Block clients that keep failing to authenticate: a client IP after bruteForce.ipMaxFailures failed token or password checks, and password sign-in for a user name from that client IP after bruteForce.userMaxFailures, within bruteForce.windowSeconds; the block lasts bruteForce.blockSeconds and is answered with 429. A user is never locked out for other clients. false: no block applies, including blocks already in force.
             * @default true
             */
            'bruteForce.enabled': boolean;
            /**
             * @description Failed token or password checks from one client IP within bruteForce.windowSeconds that block it: every request with credentials from it then gets 429. Trusted proxies are never blocked themselves.
             * @default 20
             */
            'bruteForce.ipMaxFailures': number;
            /**
             * @description Failed checks naming one user from one client IP (a wrong password, or a wrong token with that user name in Basic auth) within bruteForce.windowSeconds that block password sign-in for that user name from that client IP; other clients can still sign in as the user. The user's tokens keep working.
             * @default 10
             */
            'bruteForce.userMaxFailures': number;
            /**
             * @description The window in which failed checks are counted, in seconds (a fixed window per IP or user).
             * @default 300
             */
            'bruteForce.windowSeconds': number;
            /**
             * @description Log level per logger (root, server, api, proxy, auth, auth.filter, ratelimit, …); a logger without its own level inherits its parent's. Set auth and ratelimit to INFO for a line per authentication, as the seed product does.
             * @default {
             *       "root": "INFO",
             *       "auth": "WARN",
             *       "ratelimit": "WARN"
             *     }
             */
            'log.levels': {
              [key: string]: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
            };
            /**
             * @description "seed": authentication lines use the seed app's logger names ([d.r.a.platform.auth.ApiTokenAuthSharedBase] …), sentences and "created on" date, so that log-analyzer rules written for that app match unchanged. "tokengate": our wording, which adds the client IP to IP denials and the zone to dates. The config file key log.style pins it per node.
             * @default tokengate
             * @enum {string}
             */
            'log.style': 'tokengate' | 'seed';
            /**
             * @description Groups whose members may create tokens for themselves; "*" means everyone.
             * @default [
             *       "*"
             *     ]
             */
            'permissions.createOwnTokens': string[];
            /**
             * @description Groups whose members may list, create and delete every user's tokens; "*" means everyone. The admin group always may.
             * @default [
             *       "admin"
             *     ]
             */
            'permissions.manageAllTokens': string[];
            /**
             * @description Groups whose members may authenticate with tokens; "*" means everyone. The admin group always may.
             * @default [
             *       "*"
             *     ]
             */
            'permissions.useTokens': string[];
            /**
             * @description Limit how many requests each token may make per window (rateLimit.requests per rateLimit.windowSeconds). A token with its own rate limit is always limited by it.
             * @default false
             */
            'rateLimit.enabled': boolean;
            /**
             * @description Requests per window allowed to one token, unless the token sets its own limit.
             * @default 5
             */
            'rateLimit.requests': number;
            /**
             * @description Length of the rate-limit window in seconds.
             * @default 300
             */
            'rateLimit.windowSeconds': number;
            /**
             * @description Validity of a new token when the request names none, in days. null: never expires (only when there is no maximum).
             * @default 90
             */
            'tokens.defaultValidityDays': number | null;
            /**
             * @description This many days before a token expires its owner is warned once, by e-mail and/or webhook (config file, notifications:), and lists show "expires soon". 0: no warnings.
             * @default 5
             */
            'tokens.expiryWarningDays': number;
            /**
             * @description Tokens that users create for themselves are read-only. Managers can still create write tokens for others.
             * @default false
             */
            'tokens.forceReadOnly': boolean;
            /**
             * @description Most active (not revoked, not expired) tokens one user may hold.
             * @default 10
             */
            'tokens.maxPerUser': number;
            /**
             * @description Longest validity a new token may have, in days. null: no maximum, and tokens may never expire.
             * @default 365
             */
            'tokens.maxValidityDays': number | null;
            /**
             * @description Prefix of new tokens, before the "_". Existing tokens keep working after a change; secret scanners need the new regex.
             * @default tgp
             */
            'tokens.prefix': string;
            /**
             * @description Former values of tokens.prefix whose tokens still work; a prefix change adds the old one here. Other prefixes (ghp_, npm_…) are never taken for tokengate tokens.
             * @default []
             */
            'tokens.previousPrefixes': string[];
            /**
             * @description Expired tokens are deleted this many days after they expired, each deletion audited (token.pruned). null: expired tokens are kept.
             * @default 30
             */
            'tokens.pruneExpiredAfterDays': number | null;
            /**
             * @description A secret used after its rotation's grace period ended revokes the token, as GitLab does: a leak is likely. The attempt is audited either way (token.reused).
             * @default false
             */
            'tokens.revokeOnReuse': boolean;
            /**
             * @description Tokens not used for this many days (counted from creation when never used) are revoked, each revocation audited. null: unused tokens stay.
             * @default null
             */
            'tokens.revokeUnusedAfterDays': number | null;
            /**
             * @description After a rotation, the old secret keeps working this many seconds, so deployments can roll over (a rotation request may ask for less or more, up to 30 days). 0: it stops at once.
             * @default 0
             */
            'tokens.rotationGraceSeconds': number;
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminUpdateSettings: {
    parameters: {
      query?: never;
      header?: {
        /** @description The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless. */
        'if-match'?: string;
      };
      path?: never;
      cookie?: never;
    };
    /** @description Keys and new values; see the Settings schema. Unknown keys are refused. */
    requestBody: {
      content: {
        'application/json': Record<string, never>;
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Audit failed token authentications: a password or no valid token while auth.basicPasswords is off, an IP outside the allow-lists, a revoked or expired token, a disabled owner. Volume: one record per refused request; moderate, but unbounded under attack.
             * @default false
             */
            'audit.events.authFailedToken': boolean;
            /**
             * @description Audit token-shaped secrets that match no token. Volume: low; tokengate tells tokens from passwords by their checksum, so ordinary password logins never land here (unlike the seed product).
             * @default false
             */
            'audit.events.authFailedVerification': boolean;
            /**
             * @description Audit every successful authentication with a token. Volume: one record per authenticated request, the largest by far; with busy automation that is millions of records a day. Consider a short audit.retentionDays.
             * @default false
             */
            'audit.events.authSuccess': boolean;
            /**
             * @description Audit authenticated requests refused for lack of permission, e.g. a read token used for a write. Volume: low, one record per refused request.
             * @default false
             */
            'audit.events.permissionDenied': boolean;
            /**
             * @description Audit requests refused by a rate limit. Volume: one record per refused request; a misbehaving client can add many.
             * @default false
             */
            'audit.events.rateLimited': boolean;
            /**
             * @description The audit log keeps at most this many records; the oldest beyond it are purged first, but never one younger than audit.retentionFloorDays (config file): at the cap the log grows instead, with a WARN and the tokengate_audit_rows_held_by_floor gauge.
             * @default 10000000
             */
            'audit.maxRows': number;
            /**
             * @description Audit records older than this many days are purged in small batches by a background job; never sooner than audit.retentionFloorDays (config file). Each purge leaves an audit.purged record.
             * @default 1095
             */
            'audit.retentionDays': number;
            /**
             * @description Client IPs or CIDR ranges allowed to authenticate at all, for tokens and passwords. Empty: any.
             * @default []
             */
            'auth.allowedIps': string[];
            /**
             * @description true: a Basic secret that is not a token, a foreign Bearer value or another scheme (Digest, NTLM, Negotiate…) is passed to the upstream for its own check. false: only tokens authenticate; anything else gets 401.
             * @default true
             */
            'auth.basicPasswords': boolean;
            /**
             * @description false: user names are case-insensitive, as in Jira and Confluence (Basic "ADMIN:<token>" is the token of admin, and ADMIN signs in with admin's password). true: a user name must be sent exactly as stored (lower case).
             * @default false
             */
            'auth.caseSensitiveUsernames': boolean;
            /**
             * @description Requests besides GET, HEAD and OPTIONS that a read token may make: a preset ("git": POST …/git-upload-pack with Content-Type application/x-git-upload-pack-request, so git clone works and git push does not) or "METHOD /path/pattern" with * (one segment) and ** (any depth). Whatever the rules, a read token never gets GET …/info/refs?service=git-receive-pack (the start of a push), and a method override (X-HTTP-Method-Override, _method) must name a read too.
             * @default [
             *       "git"
             *     ]
             */
            'auth.readRules': string[];
            /**
             * @description true: every request must authenticate with a token; no credentials, a password or a foreign Bearer value get 401 (auth.basicPasswords no longer passes passwords on). Turn it on when the upstream has no login of its own, and for Git, so clients send their token.
             * @default false
             */
            'auth.requireAuthentication': boolean;
            /**
             * @description Basic user names that stand for "whoever owns the token", as Git hosts use them (x-token-auth:<token>, oauth2:<token>, :<token>). With a token as the password, such a user name is not compared with the owner: the token decides the user. With a password they mean nothing special. [] : the Basic user name must always be the owner.
             * @default [
             *       "x-token-auth",
             *       "oauth2",
             *       "git",
             *       "token",
             *       ""
             *     ]
             */
            'auth.tokenUsernamePlaceholders': string[];
            /**
             * @description Reverse proxies and load balancers whose X-Forwarded-For is believed. The client IP is the first untrusted address from the right.
             * @default []
             */
            'auth.trustedProxies': string[];
            /**
             * @description How long a block lasts, in seconds; the 429 carries the rest of it in Retry-After.
             * @default 900
             */
            'bruteForce.blockSeconds': number;
            /**
             * @description Block clients that keep failing to authenticate: a client IP after bruteForce.ipMaxFailures failed token or password checks, and password sign-in for a user name from that client IP after bruteForce.userMaxFailures, within bruteForce.windowSeconds; the block lasts bruteForce.blockSeconds and is answered with 429. A user is never locked out for other clients. false: no block applies, including blocks already in force.
             * @default true
             */
            'bruteForce.enabled': boolean;
            /**
             * @description Failed token or password checks from one client IP within bruteForce.windowSeconds that block it: every request with credentials from it then gets 429. Trusted proxies are never blocked themselves.
             * @default 20
             */
            'bruteForce.ipMaxFailures': number;
            /**
             * @description Failed checks naming one user from one client IP (a wrong password, or a wrong token with that user name in Basic auth) within bruteForce.windowSeconds that block password sign-in for that user name from that client IP; other clients can still sign in as the user. The user's tokens keep working.
             * @default 10
             */
            'bruteForce.userMaxFailures': number;
            /**
             * @description The window in which failed checks are counted, in seconds (a fixed window per IP or user).
             * @default 300
             */
            'bruteForce.windowSeconds': number;
            /**
             * @description Log level per logger (root, server, api, proxy, auth, auth.filter, ratelimit, …); a logger without its own level inherits its parent's. Set auth and ratelimit to INFO for a line per authentication, as the seed product does.
             * @default {
             *       "root": "INFO",
             *       "auth": "WARN",
             *       "ratelimit": "WARN"
             *     }
             */
            'log.levels': {
              [key: string]: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
            };
            /**
             * @description "seed": authentication lines use the seed app's logger names ([d.r.a.platform.auth.ApiTokenAuthSharedBase] …), sentences and "created on" date, so that log-analyzer rules written for that app match unchanged. "tokengate": our wording, which adds the client IP to IP denials and the zone to dates. The config file key log.style pins it per node.
             * @default tokengate
             * @enum {string}
             */
            'log.style': 'tokengate' | 'seed';
            /**
             * @description Groups whose members may create tokens for themselves; "*" means everyone.
             * @default [
             *       "*"
             *     ]
             */
            'permissions.createOwnTokens': string[];
            /**
             * @description Groups whose members may list, create and delete every user's tokens; "*" means everyone. The admin group always may.
             * @default [
             *       "admin"
             *     ]
             */
            'permissions.manageAllTokens': string[];
            /**
             * @description Groups whose members may authenticate with tokens; "*" means everyone. The admin group always may.
             * @default [
             *       "*"
             *     ]
             */
            'permissions.useTokens': string[];
            /**
             * @description Limit how many requests each token may make per window (rateLimit.requests per rateLimit.windowSeconds). A token with its own rate limit is always limited by it.
             * @default false
             */
            'rateLimit.enabled': boolean;
            /**
             * @description Requests per window allowed to one token, unless the token sets its own limit.
             * @default 5
             */
            'rateLimit.requests': number;
            /**
             * @description Length of the rate-limit window in seconds.
             * @default 300
             */
            'rateLimit.windowSeconds': number;
            /**
             * @description Validity of a new token when the request names none, in days. null: never expires (only when there is no maximum).
             * @default 90
             */
            'tokens.defaultValidityDays': number | null;
            /**
             * @description This many days before a token expires its owner is warned once, by e-mail and/or webhook (config file, notifications:), and lists show "expires soon". 0: no warnings.
             * @default 5
             */
            'tokens.expiryWarningDays': number;
            /**
             * @description Tokens that users create for themselves are read-only. Managers can still create write tokens for others.
             * @default false
             */
            'tokens.forceReadOnly': boolean;
            /**
             * @description Most active (not revoked, not expired) tokens one user may hold.
             * @default 10
             */
            'tokens.maxPerUser': number;
            /**
             * @description Longest validity a new token may have, in days. null: no maximum, and tokens may never expire.
             * @default 365
             */
            'tokens.maxValidityDays': number | null;
            /**
             * @description Prefix of new tokens, before the "_". Existing tokens keep working after a change; secret scanners need the new regex.
             * @default tgp
             */
            'tokens.prefix': string;
            /**
             * @description Former values of tokens.prefix whose tokens still work; a prefix change adds the old one here. Other prefixes (ghp_, npm_…) are never taken for tokengate tokens.
             * @default []
             */
            'tokens.previousPrefixes': string[];
            /**
             * @description Expired tokens are deleted this many days after they expired, each deletion audited (token.pruned). null: expired tokens are kept.
             * @default 30
             */
            'tokens.pruneExpiredAfterDays': number | null;
            /**
             * @description A secret used after its rotation's grace period ended revokes the token, as GitLab does: a leak is likely. The attempt is audited either way (token.reused).
             * @default false
             */
            'tokens.revokeOnReuse': boolean;
            /**
             * @description Tokens not used for this many days (counted from creation when never used) are revoked, each revocation audited. null: unused tokens stay.
             * @default null
             */
            'tokens.revokeUnusedAfterDays': number | null;
            /**
             * @description After a rotation, the old secret keeps working this many seconds, so deployments can roll over (a rotation request may ask for less or more, up to 30 days). 0: it stops at once.
             * @default 0
             */
            'tokens.rotationGraceSeconds': number;
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `precondition_failed`: If-Match names a version the object no longer has: someone changed it since you read it. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminGetSettingsSchema: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              default: unknown;
              description: string;
              key: string;
              schema: unknown;
            }[];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminGetStats: {
    parameters: {
      query?: {
        hours?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            bucketMinutes: number;
            buckets: {
              anonymous: number;
              authenticated: number;
              /** @description Refused with 403: IP, scope or permission. */
              denied: number;
              /** @description Refused with 401: no valid credentials. */
              failed: number;
              passedOn: number;
              rateLimited: number;
              /** Format: date-time */
              start: string;
            }[];
            expiringSoon: components['schemas']['Token'][];
            topTokens: {
              description: string;
              id: string;
              /** Format: date-time */
              lastUsedAt: string | null;
              user: string;
              /** @description Uses counted since the token was created (written in batches). */
              uses: number;
            }[];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminListTokens: {
    parameters: {
      query?: {
        createdFrom?: string;
        createdTo?: string;
        /** @description The `nextCursor` of the previous page (also in its `Link: rel="next"` header), with the same other parameters; opaque. */
        cursor?: string;
        description?: string;
        expiresFrom?: string;
        expiresTo?: string;
        lastUsedFrom?: string;
        lastUsedTo?: string;
        /** @description Items per page, 1 to 500; default 50. 0 or more than 500 is refused (400). */
        limit?: number;
        /** @description `read`: GET, HEAD and OPTIONS. `write`: every method. */
        scope?: 'read' | 'write';
        status?: 'active' | 'expired' | 'revoked';
        user?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TokenPage'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminGetToken: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Token'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminRevokeToken: {
    parameters: {
      query?: never;
      header?: {
        /** @description The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless. */
        'if-match'?: string;
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `precondition_failed`: If-Match names a version the object no longer has: someone changed it since you read it. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminRotateToken: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description How long the old secret keeps working, in seconds (at most 30 days). Default: tokens.rotationGraceSeconds. */
          graceSeconds?: number;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CreatedToken'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminListUsers: {
    parameters: {
      query?: {
        /** @description The `nextCursor` of the previous page (also in its `Link: rel="next"` header), with the same other parameters; opaque. */
        cursor?: string;
        /** @description Items per page, 1 to 500; default 50. 0 or more than 500 is refused (400). */
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['UserPage'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminCreateUser: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateUser'];
      };
    };
    responses: {
      /** @description Default Response */
      201: {
        headers: {
          /** @description The URL of the new resource. */
          Location?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['User'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminGetUser: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        user: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['User'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminDeleteUser: {
    parameters: {
      query?: never;
      header?: {
        /** @description The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless. */
        'if-match'?: string;
      };
      path: {
        user: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `precondition_failed`: If-Match names a version the object no longer has: someone changed it since you read it. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminUpdateUser: {
    parameters: {
      query?: never;
      header?: {
        /** @description The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless. */
        'if-match'?: string;
      };
      path: {
        user: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['UserChange'];
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['User'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `precondition_failed`: If-Match names a version the object no longer has: someone changed it since you read it. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminCreateUserToken: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        user: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateToken'];
      };
    };
    responses: {
      /** @description Default Response */
      201: {
        headers: {
          /** @description The URL of the new resource. */
          Location?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CreatedToken'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  adminRevokeUserTokens: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        user: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            revoked: number;
            tokenIds: string[];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getMe: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            authenticatedWith: 'password' | 'token' | 'session';
            permissions: {
              admin: boolean;
              createOwnTokens: boolean;
              manageAllTokens: boolean;
              useTokens: boolean;
            };
            /** @description The token policy that applies to tokens the caller creates, so a client can offer only what is allowed. */
            policy: {
              defaultValidityDays: number | null;
              /** @description tokens.expiryWarningDays: how many days before expiry a token counts as expiring soon. */
              expiryWarningDays: number;
              forceReadOnly: boolean;
              maxPerUser: number;
              maxValidityDays: number | null;
              /** @description tokens.rotationGraceSeconds: a rotation's default grace period. */
              rotationGraceSeconds: number;
              tokenPrefix: string;
            };
            tokenId: string | null;
            tokenScope: ('read' | 'write') | (never | null);
            user: components['schemas']['User'];
          };
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  changeMyPassword: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description The password you sign in with now. */
          currentPassword: string;
          /** @description The new password: 8 to 1024 characters, as for a password an admin sets. */
          newPassword: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description For a web UI session: the new session that replaces it (its cookie is in Set-Cookie). null for a password caller, or when signing in again failed (sign in again). */
            session: {
              /** @description Send it as X-CSRF-Token with the new session cookie. */
              csrfToken: string;
              /** Format: date-time */
              expiresAt: string;
            } | null;
            user: components['schemas']['User'];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getSession: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Send it as X-CSRF-Token on every state-changing call made with the session cookie. */
            csrfToken: string;
            /** Format: date-time */
            expiresAt: string;
            user: components['schemas']['User'];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  createSession: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          password: string;
          username: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Send it as X-CSRF-Token on every state-changing call made with the session cookie. */
            csrfToken: string;
            /** Format: date-time */
            expiresAt: string;
            user: components['schemas']['User'];
          };
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  deleteSession: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  listTokens: {
    parameters: {
      query?: {
        /** @description The `nextCursor` of the previous page (also in its `Link: rel="next"` header), with the same other parameters; opaque. */
        cursor?: string;
        /** @description Items per page, 1 to 500; default 50. 0 or more than 500 is refused (400). */
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TokenPage'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  createToken: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateToken'];
      };
    };
    responses: {
      /** @description Default Response */
      201: {
        headers: {
          /** @description The URL of the new resource. */
          Location?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CreatedToken'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getToken: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Token'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  revokeToken: {
    parameters: {
      query?: never;
      header?: {
        /** @description The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless. */
        'if-match'?: string;
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `precondition_failed`: If-Match names a version the object no longer has: someone changed it since you read it. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  updateToken: {
    parameters: {
      query?: never;
      header?: {
        /** @description The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless. */
        'if-match'?: string;
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          description: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          /** @description The object's version: send it back in If-Match to change or delete it only if nobody else has. */
          ETag?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Token'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `precondition_failed`: If-Match names a version the object no longer has: someone changed it since you read it. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  rotateToken: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description How long the old secret keeps working, in seconds (at most 30 days). Default: tokens.rotationGraceSeconds. */
          graceSeconds?: number;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CreatedToken'];
        };
      };
      /** @description `invalid_request`: The request is malformed: bad JSON, a bad parameter or an unknown field. `policy_violation`: The request is well-formed but breaks a token policy; the message names the limit. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unauthorized`: No valid credentials were presented. The response carries WWW-Authenticate. */
      401: {
        headers: {
          /** @description The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`). */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `forbidden`: The credentials are valid but do not allow this call (permission, scope or IP). */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `not_found`: No such route or object, or one the caller may not see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `conflict`: The request conflicts with the current state, e.g. the user already exists. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `payload_too_large`: The request body is larger than the configured limit. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unsupported_media_type`: The request body is not application/json. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `rate_limited`: Too many requests; Retry-After says when to try again. */
      429: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description `unavailable`: A dependency such as the database is unavailable. Retrying later can help. */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getHealth: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            database: 'ok' | 'unavailable';
            nodeId: string;
            status: 'ok' | 'degraded';
            version: string;
          };
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description Default Response */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            database: 'ok' | 'unavailable';
            nodeId: string;
            status: 'ok' | 'degraded';
            version: string;
          };
        };
      };
    };
  };
  getLiveness: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {string} */
            status: 'ok';
          };
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getReadiness: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Each dependency checked: database; redis in cluster mode; upstream with health.upstream. */
            checks: {
              [key: string]: 'ok' | 'unavailable';
            };
            /** @description Why each failed check failed. */
            errors: {
              [key: string]: string;
            };
            status: 'ready' | 'unavailable';
          };
        };
      };
      /** @description `internal`: An unexpected fault. The log has the details; the response never does. */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description Default Response */
      503: {
        headers: {
          /** @description Seconds until a retry can succeed. */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Each dependency checked: database; redis in cluster mode; upstream with health.upstream. */
            checks: {
              [key: string]: 'ok' | 'unavailable';
            };
            /** @description Why each failed check failed. */
            errors: {
              [key: string]: string;
            };
            status: 'ready' | 'unavailable';
          };
        };
      };
    };
  };
}
