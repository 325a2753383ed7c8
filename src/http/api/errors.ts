import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, codeForStatus, invalidField, invalidFields } from '../../domain/errors.js';
import { isDatabaseUnavailable } from '../../store/db-errors.js';
import { errorResponse } from '../edge/respond.js';
import { fieldProblems } from './validation.js';

/** Maps any error to the catalogue. Faults become a bare 500: the details go to the log, never to the client. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as Partial<FastifyError>;
  // The router's own refusals, before any route runs (see frameworkErrors in app.ts).
  if (fe.code === 'FST_ERR_BAD_URL') return invalidField('path', 'is not valid percent-encoded UTF-8');
  if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH') return invalidField('path', 'has a segment that is too long');
  if (fe.validation) {
    return invalidFields(fieldProblems(fe.validation, fe.validationContext));
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = codeForStatus(status) ?? 'invalid_request';
    const message =
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe.code === undefined && err instanceof SyntaxError)
        ? 'body: is not valid JSON'
        : fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'body: is empty but Content-Type is application/json'
          : (fe.message ?? 'bad request');
    return new AppError(code, message);
  }
  if (isDatabaseUnavailable(err)) {
    return new AppError('unavailable', 'the database is unavailable; try again shortly');
  }
  return new AppError('internal', 'internal error; the server log has the details');
}

/**
 * The Fastify adapter of the one error renderer (errorResponse in ../respond.ts): the same status,
 * headers and body as on the raw paths. `extra`: fields beside `error` in the body (the compat API's
 * `errorMessage`).
 */
export function sendError(
  reply: FastifyReply,
  err: AppError,
  extra: Record<string, unknown> = {},
): FastifyReply {
  // A script from our own web UI says so; a challenge would make the browser pop up its login box.
  const challenge = reply.request.headers['x-requested-with'] !== 'XMLHttpRequest';
  const r = errorResponse(err, { challenge });
  return reply
    .code(r.status)
    .headers(r.headers)
    .send({ ...extra, ...r.body });
}

export function errorHandler(
  log: (req: FastifyRequest, err: unknown) => void,
): (err: unknown, req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (err, req, reply) => {
    const app = toAppError(err);
    if (app.status >= 500) log(req, err);
    return sendError(reply, app);
  };
}
