import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { invalidField } from '../../domain/errors.js';
import type { TokenRecord } from '../../domain/token/token.js';
import type { TokenCursor } from '../../store/token-repo.js';

/**
 * The one paging convention of every list (issue 19, docs/api.md "Lists and paging"): `limit` (1 to
 * MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE; 0 or more than the maximum is refused with 400, never
 * clamped), an opaque `cursor`, and the next page's cursor both as `nextCursor` in the body and as a
 * `Link: <…>; rel="next"` header. Pages follow a key (time and id, or name) rather than an offset, so
 * an insert between two calls neither repeats nor skips an item.
 */

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Longest cursor accepted: every cursor this API hands out is far shorter. */
const MAX_CURSOR_LENGTH = 200;

/** The `limit` and `cursor` query parameters, spread into a list's querystring schema. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      description: `Items per page, 1 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}. 0 or more than ${MAX_PAGE_SIZE} is refused (400).`,
    }),
  ),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_CURSOR_LENGTH,
      description:
        'The `nextCursor` of the previous page (also in its `Link: rel="next"` header), with the same other parameters; opaque.',
    }),
  ),
};

/** A page of a list: its items and the next page's cursor. */
export function PageOf<T extends TSchema>(item: T, id: string, order: string) {
  return Type.Object(
    {
      items: Type.Array(item, { description: order }),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description:
          'Pass as `cursor` for the next page (the `Link: rel="next"` header has the whole URL); null on the last page.',
      }),
    },
    { $id: id },
  );
}

/** The URL of the next page: the request's own path and parameters, with `cursor` replaced. */
export function nextPageUrl(requestUrl: string, cursor: string): string {
  const q = requestUrl.indexOf('?');
  const path = q === -1 ? requestUrl : requestUrl.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : requestUrl.slice(q + 1));
  params.set('cursor', cursor);
  return `${path}?${params.toString()}`;
}

/** Sets `Link: <next>; rel="next"` when there is a next page; returns the page for the handler. */
export function sendPage<T extends { nextCursor: string | null }>(
  req: FastifyRequest,
  reply: FastifyReply,
  page: T,
): T {
  if (page.nextCursor !== null) {
    void reply.header('link', `<${nextPageUrl(req.url, page.nextCursor)}>; rel="next"`);
  }
  return page;
}

/** Text that must decode back to exactly what re-encoding gives, else it is no cursor of ours. */
function decodeExact(text: string, encode: (raw: string) => string): string {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  if (encode(raw) !== text) throw invalidField('query.cursor', 'is not a cursor this API returned');
  return raw;
}

const toBase64url = (raw: string): string => Buffer.from(raw).toString('base64url');

/** A token list's cursor: the last item's creation time and id (the lists are newest first). */
export function encodeCursor(c: TokenCursor): string {
  return toBase64url(`${c.createdAt}.${c.id}`);
}

export function decodeCursor(text: string): TokenCursor {
  const raw = decodeExact(text, toBase64url);
  const m = /^(0|[1-9]\d{0,15})\.(tok_[0-9A-Za-z]+)$/.exec(raw);
  const createdAt = Number(m?.[1]);
  if (!m?.[2] || !Number.isSafeInteger(createdAt)) {
    throw invalidField('query.cursor', 'is not a cursor this API returned');
  }
  return { createdAt, id: m[2] };
}

/** Newest first, then by id: the order of every token list, the store's too. */
export function newestFirst(a: TokenRecord, b: TokenRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** One page of a whole list of tokens held in memory (a user's own tokens), by the same cursor. */
export function tokenPage(
  all: readonly TokenRecord[],
  limit: number,
  after: TokenCursor | undefined,
): { items: TokenRecord[]; next: TokenCursor | null } {
  const sorted = [...all].sort(newestFirst);
  const rest =
    after === undefined
      ? sorted
      : sorted.filter(
          (t) => t.createdAt < after.createdAt || (t.createdAt === after.createdAt && t.id < after.id),
        );
  const items = rest.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rest.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

/** A user list's cursor: the last user name (the list is by user name). */
export function encodeNameCursor(name: string): string {
  return toBase64url(`u:${name}`);
}

export function decodeNameCursor(text: string): string {
  const raw = decodeExact(text, toBase64url);
  if (!raw.startsWith('u:') || raw.length < 3)
    throw invalidField('query.cursor', 'is not a cursor this API returned');
  return raw.slice(2);
}

/** One page of a list ordered by name (code-unit order, the same on every database). */
export function namePage<T>(
  all: readonly T[],
  nameOf: (item: T) => string,
  limit: number,
  after: string | undefined,
): { items: T[]; nextCursor: string | null } {
  const sorted = [...all].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((x) => nameOf(x) > after);
  const items = rest.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rest.length > limit && last !== undefined ? encodeNameCursor(nameOf(last)) : null,
  };
}
