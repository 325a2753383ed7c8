/**
 * The one error catalogue. Every error the management API or the gateway returns has a code from this
 * list; the status and the documentation follow from the code. A test checks the catalogue against
 * docs/api.md.
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
  request_timeout: {
    status: 408,
    summary: 'The request body stopped arriving (proxy.clientBodyTimeoutMs); the connection is closed.',
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
  },
  gateway_timeout: { status: 504, summary: 'The upstream did not answer in time.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

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
  return new AppError('invalid_request', `${field}: ${message}`, [{ field, message }]);
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
