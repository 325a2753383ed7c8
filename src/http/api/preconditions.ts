import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { canonicalJson } from '../../domain/audit/chain.js';
import { AppError } from '../../domain/errors.js';
import type { TokenRecord } from '../../domain/token/token.js';
import { toPublicUser, type StoredUser } from '../../domain/user.js';
import type { ApiDeps } from './context.js';

/**
 * Lost updates (issue 19): a GET of a token, a user or the settings answers an `ETag`; a PATCH, PUT
 * or DELETE that sends it back in `If-Match` is carried out only while the object still has that
 * version, else 412 `precondition_failed` and nothing changes. Without If-Match a write goes ahead as
 * before (RFC 9110 says clients SHOULD send it; docs/api.md says so).
 */

/**
 * A strong entity tag of a representation: its canonical JSON (keys sorted, the audit chain's
 * spelling) hashed, so the same state always gives the same tag; opaque to clients.
 */
export function entityTag(value: unknown): string {
  return `"${createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an If-Match header lets a write to an object with `current` go ahead (RFC 9110, 13.1.1):
 * no header, `*`, or a list holding `current`. Weak tags never match (strong comparison).
 */
export function ifMatchAllows(header: string | undefined, current: string): boolean {
  if (header === undefined) return true;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  return trimmed
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === current);
}

/** The optional If-Match request header, for the routes that take it (documented per operation). */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      maxLength: 1024,
      description:
        'The ETag of the version you read. The change is made only if the object still has it, else 412 precondition_failed. Clients SHOULD send it; without it the change is made regardless.',
    }),
  ),
});

/**
 * Writes to one object, one at a time in this process, so the If-Match check and the write it guards
 * cannot interleave with another write to the same object. Across the nodes of a cluster two writes
 * can still cross between check and write (docs/api.md says so).
 */
export class ObjectLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function ifMatchHeader(req: FastifyRequest): string | undefined {
  const h = req.headers['if-match'];
  return Array.isArray(h) ? h.join(', ') : h;
}

/**
 * Runs a conditional write to an object of `store`: under the object's lock, reads its current
 * version, refuses with 412 when If-Match names another, then writes. `read` throws the object's own
 * 404 when it does not exist.
 */
export async function conditionalWrite<T>(
  store: object,
  req: FastifyRequest,
  key: string,
  read: () => Promise<string>,
  write: () => Promise<T>,
): Promise<T> {
  return objectLocks(store).run(key, async () => {
    const header = ifMatchHeader(req);
    if (header !== undefined) {
      const current = await read();
      if (!ifMatchAllows(header, current)) {
        throw new AppError(
          'precondition_failed',
          'If-Match does not match the current ETag: the object changed since you read it; read it again and retry',
          { etag: current },
        );
      }
    }
    return write();
  });
}

/** A conditional write to a token: its owner's routes and the manager's share its lock. */
export function writeTokenIfMatch<T>(
  deps: ApiDeps,
  req: FastifyRequest,
  id: string,
  asManager: boolean,
  write: () => Promise<T>,
): Promise<T> {
  const read = async (): Promise<string> => tokenEtag(await deps.tokens.get(req.principal, id, asManager));
  return conditionalWrite(deps.store, req, `token:${id}`, read, write);
}

/** A conditional write to a user. Names are case-insensitive, so two spellings share one lock. */
export function writeUserIfMatch<T>(
  deps: ApiDeps,
  req: FastifyRequest,
  username: string,
  write: () => Promise<T>,
): Promise<T> {
  const read = async (): Promise<string> => userEtag(await deps.users.get(req.principal, username));
  return conditionalWrite(deps.store, req, `user:${username.toLowerCase()}`, read, write);
}

/** Sets the ETag of the representation a response carries. */
export function withEtag<T>(reply: FastifyReply, etag: string, body: T): T {
  void reply.header('etag', etag);
  return body;
}

/** One set of locks per database: the owner's and the manager's routes to a token share it. */
const LOCKS = new WeakMap<object, ObjectLocks>();

function objectLocks(store: object): ObjectLocks {
  let locks = LOCKS.get(store);
  if (!locks) LOCKS.set(store, (locks = new ObjectLocks()));
  return locks;
}

/**
 * A token's version: what a write can change. Its use (last used, use count) is left out: it changes
 * on every authenticated request and is no edit, so using a token does not spoil an If-Match.
 */
export function tokenEtag(t: TokenRecord): string {
  return entityTag({
    id: t.id,
    user: t.user,
    description: t.description,
    scope: t.scope,
    expiresAt: t.expiresAt,
    allowedIps: t.allowedIps,
    rateLimit: t.rateLimit,
    revokedAt: t.revokedAt,
    rotatedAt: t.rotatedAt ?? null,
    secretIssuedBy: t.secretIssuedBy,
  });
}

/** A user's version: its public view (every write sets updatedAt), without the sign-in time. */
export function userEtag(u: StoredUser): string {
  const { lastSignInAt: _signIn, ...view } = toPublicUser(u);
  return entityTag(view);
}

/** The settings' version: every key's current value. */
export function settingsEtag(settings: object): string {
  return entityTag(settings);
}
