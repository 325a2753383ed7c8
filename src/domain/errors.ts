/** One entry of the catalogue: what an error response with its code looks like, whoever sends it. */
interface CatalogueEntry {
  status: number;
  summary: string;
  /** The response carries the authentication challenges, WWW_AUTHENTICATE. */
  challenge?: true;
  /** The response asks the client to retry after this many seconds (Retry-After). */
  retryAfterSeconds?: number;
}

/**
 * The one error catalogue. Every error the management API or the gateway returns has a code from this
 * list; the status, the headers the code implies (errorHeaders) and the documentation follow from the
 * code. Both renderers, the raw-HTTP one (http/respond.ts) and the management API's (http/api/errors.ts),
 * take them from here. A test checks the catalogue against docs/api.md.
 */
export const ERROR_CATALOGUE = {
  invalid_request: {
    status: 400,
    summary: 'The request is malformed: bad JSON, a bad parameter or an unknown field.',
  },
  policy_violation: {
    status: 400,
    summary: 'The request is well-formed but breaks a token policy; the message names the limit.',
  },
  unauthorized: {
    status: 401,
    summary: 'No valid credentials were presented. The response carries WWW-Authenticate.',
    challenge: true,
  },
  forbidden: {
    status: 403,
    summary: 'The credentials are valid but do not allow this call (permission, scope or IP).',
  },
  not_found: { status: 404, summary: 'No such route or object, or one the caller may not see.' },
  conflict: {
    status: 409,
    summary: 'The request conflicts with the current state, e.g. the user already exists.',
  },
  method_not_allowed: {
    status: 405,
    summary: 'The path exists but not with this method; the Allow header lists the methods it has.',
  },
  request_timeout: {
    status: 408,
    summary: 'The request body stopped arriving (proxy.clientBodyTimeoutMs); the connection is closed.',
  },
  precondition_failed: {
    status: 412,
    summary: 'If-Match names a version the object no longer has: someone changed it since you read it.',
  },
  payload_too_large: { status: 413, summary: 'The request body is larger than the configured limit.' },
  unsupported_media_type: { status: 415, summary: 'The request body is not application/json.' },
  rate_limited: { status: 429, summary: 'Too many requests; Retry-After says when to try again.' },
  internal: {
    status: 500,
    summary: 'An unexpected fault. The log has the details; the response never does.',
  },
  bad_gateway: { status: 502, summary: 'The upstream could not be reached.' },
  unavailable: {
    status: 503,
    summary: 'A dependency such as the database is unavailable. Retrying later can help.',
    retryAfterSeconds: 5,
  },
  gateway_timeout: { status: 504, summary: 'The upstream did not answer in time.' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The challenges a 401 carries: on the management API, the proxy, forward-auth and the middleware. */
export const WWW_AUTHENTICATE = ['Basic realm="tokengate", charset="UTF-8"', 'Bearer realm="tokengate"'];

/**
 * The headers an error response carries because of its code: WWW-Authenticate on a 401, Retry-After on
 * a 503. `challenge: false` leaves the challenge out (a script of the web UI: a challenge would make the
 * browser pop up its login box).
 */
export function errorHeaders(
  code: ErrorCode,
  opts: { challenge?: boolean } = {},
): Record<string, string | string[]> {
  const entry: CatalogueEntry = ERROR_CATALOGUE[code];
  const headers: Record<string, string | string[]> = {};
  if (entry.challenge && opts.challenge !== false) headers['www-authenticate'] = [...WWW_AUTHENTICATE];
  if (entry.retryAfterSeconds !== undefined) headers['retry-after'] = String(entry.retryAfterSeconds);
  return headers;
}

const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).reverse().map((code) => [ERROR_CATALOGUE[code].status, code]),
);

/**
 * The code a bare HTTP status stands for (a framework's error, an authentication result): the first
 * code in the catalogue with that status, so 400 is invalid_request, not policy_violation. undefined
 * for a status the catalogue has no code for.
 */
export function codeForStatus(status: number): ErrorCode | undefined {
  return CODE_BY_STATUS.get(status);
}

/** One problem with one field of the request, e.g. `{ field: 'body.description', message: '…' }`. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type ErrorDetails = Record<string, unknown> | FieldProblem[];

/** An expected failure with a catalogue code, rendered as `{ error: { code, message, details? } }`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

/** A 400 naming the field that is wrong. */
export function invalidField(field: string, message: string): AppError {
  return invalidFields([{ field, message }]);
}

/**
 * A 400 naming every field that is wrong, in `details` and in the message: `field: message` for one,
 * `2 invalid fields: a: …; b: …` for more (the request validator's and the services' one spelling).
 */
export function invalidFields(problems: readonly FieldProblem[]): AppError {
  const listed = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  const message =
    problems.length === 0
      ? 'invalid request'
      : problems.length === 1
        ? listed
        : `${problems.length} invalid fields: ${listed}`;
  return new AppError('invalid_request', message, [...problems]);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetails };
}

export function errorBody(err: AppError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details !== undefined ? { details: err.details } : {}),
    },
  };
}
