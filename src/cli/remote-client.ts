import { AppError, ERROR_CATALOGUE, type ErrorCode, type ErrorDetails } from '../domain/errors.js';
import { CliError, exitClassForStatus } from './exit-codes.js';

/** Where the management API lives on a node's admin listener (src/http/api/context.ts, API_PATH). */
export const API_PATH = '/_tokengate/api/v1';

/** The most items the API gives per page (src/http/api/paging.ts, MAX_PAGE_SIZE). */
export const API_PAGE_SIZE = 500;

/** How long one call may take before the CLI gives up on the server: it is unavailable, not wrong. */
const CALL_TIMEOUT_MS = 30_000;

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** The ETag of the version read, so that the server refuses the write (412) if it changed since. */
  ifMatch?: string;
}

/** One page of a list, the API's one convention: items and the next page's cursor. */
interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/**
 * The API's `{error:{code,message,details}}` as the error the local commands throw, so that the exit
 * code and the JSON error are the same in both modes. A code this CLI does not know (a newer server)
 * is classed by the HTTP status.
 */
export function apiFailure(status: number, body: unknown): Error {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : `the server answered ${status}`;
  const details =
    typeof error?.details === 'object' && error.details !== null
      ? (error.details as ErrorDetails)
      : undefined;
  if (isErrorCode(error?.code)) return new AppError(error.code, message, details);
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  return new CliError(exitClassForStatus(status), code, message, details ? { details } : {});
}

/**
 * A client of one server's management API with one bearer token. Node's fetch: HTTPS is checked
 * against the system's CAs and NODE_EXTRA_CA_CERTS; there is no way to turn the check off.
 */
export class ApiClient {
  readonly server: string;
  readonly #authorization: string;
  /** Items asked per page; the API's maximum, smaller only in tests of the paging. */
  readonly #pageSize: number;

  constructor(server: string, token: string, pageSize = API_PAGE_SIZE) {
    this.server = server;
    this.#authorization = `Bearer ${token}`;
    this.#pageSize = pageSize;
  }

  /** The answer's JSON body, or undefined for 204; an error answer throws AppError or CliError. */
  async call<T>(c: Call): Promise<T> {
    return (await this.exchange(c)).body as T;
  }

  /** The answer's body and its ETag (null when the answer has none). */
  async exchange(c: Call): Promise<{ body: unknown; etag: string | null }> {
    const url = new URL(`${this.server}${API_PATH}${c.path}`);
    for (const [k, v] of Object.entries(c.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        method: c.method,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(c.ifMatch !== undefined ? { 'if-match': c.ifMatch } : {}),
        },
        ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
        redirect: 'error',
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (err) {
      throw unreachable(this.server, err);
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // A proxy's HTML error page, or not tokengate at all.
        if (res.ok) throw new CliError('unavailable', 'unavailable', `${url.origin} did not answer JSON`);
      }
    }
    if (!res.ok) throw apiFailure(res.status, body);
    return { body, etag: res.headers.get('etag') };
  }

  /** Every item of a list, page by page (`limit`, `cursor`, `nextCursor`), up to `max` items. */
  async all<T>(path: string, query: Call['query'] = {}, max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const limit = Math.min(this.#pageSize, max - items.length);
      const page = await this.call<Page<T>>({ method: 'GET', path, query: { ...query, limit, cursor } });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && items.length < max);
    return items;
  }
}

/** A server that cannot be reached, refused the connection or timed out: retrying can help (69). */
function unreachable(server: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why =
    (err as Error).name === 'TimeoutError'
      ? 'no answer in time'
      : (cause?.code ?? cause?.message ?? (err as Error).message);
  return new CliError('unavailable', 'unavailable', `cannot reach ${server}: ${why}`);
}
