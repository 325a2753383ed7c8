import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TLiteral, type TSchema, type TUnsafe } from 'typebox';
import {
  AUDIT_CSV_COLUMNS,
  AUDIT_EXPORT_FORMATS,
  auditExportChunks,
  auditRecordView,
  iterateAudit,
} from '../../../audit/export.js';
import { describePurge, verifyAuditChain } from '../../../audit/verify.js';
import { AUDIT_CATEGORIES } from '../../../domain/audit/audit.js';
import {
  AUDIT_RECORD_FIELDS,
  type AuditField,
  type AuditRecordViewFields,
} from '../../../domain/audit/record.js';
import { AppError, invalidField } from '../../../domain/errors.js';
import { parseIp } from '../../../domain/auth/ip-rules.js';
import { isAdmin } from '../../../domain/auth/permissions.js';
import type { AuditFilter, AuditPosition } from '../../../store/audit-repo.js';
import { normalizeSocketIp } from '../../../domain/auth/client-ip.js';
import type { ApiDeps, RouteApp } from '../context.js';
import { ErrorResponses } from '../schemas.js';
import { DEFAULT_PAGE_SIZE, PageOf, PageQuery, sendPage } from '../paging.js';

/** The plugin's Fastify instance, with TypeBox typing, that each group of routes registers on. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T, description: string) =>
  Type.Union([t, Type.Null()], { description });

/** One literal per value, typed as a tuple, so a union of them has the values' type. */
function literals<const T extends readonly string[]>(
  values: T,
): { -readonly [K in keyof T]: TLiteral<T[K]> } {
  return values.map((v) => Type.Literal(v)) as { -readonly [K in keyof T]: TLiteral<T[K]> };
}

const Category = Type.Union(literals(AUDIT_CATEGORIES), {
  description: `The area of the event: ${AUDIT_CATEGORIES.join(', ')}.`,
});

/** A field's schema in the view, from its declaration (src/domain/audit/record.ts). */
function viewFieldSchema(f: AuditField): TSchema {
  const { description } = f;
  switch (f.kind) {
    case 'integer':
      return Type.Integer({ description });
    case 'time':
      return Type.String({ format: 'date-time', description });
    case 'category':
      return Type.Union(literals(AUDIT_CATEGORIES), { description });
    case 'string':
    case 'hash':
      return f.nullable ? Nullable(Type.String(), description) : Type.String({ description });
    case 'json':
      return Nullable(Type.Record(Type.String(), Type.Unknown()), description);
  }
}

export const AuditRecordView = Type.Object(
  Object.fromEntries(AUDIT_RECORD_FIELDS.map((f) => [f.view, viewFieldSchema(f)])) as {
    [K in keyof AuditRecordViewFields]: TUnsafe<AuditRecordViewFields[K]>;
  },
  { $id: 'AuditRecord', description: 'One audit record. It never holds a secret or a token hash.' },
);

const filterFields = {
  from: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only records at or after this ISO 8601 date-time.' }),
  ),
  to: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only records at or before this ISO 8601 date-time.' }),
  ),
  author: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Only records by this author (a user name, `@cli` or `anonymous`).',
    }),
  ),
  category: Type.Optional(Category),
  action: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'Only this action, e.g. `token.revoked`.' }),
  ),
  affectedUser: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'Only records about this user.' }),
  ),
  tokenId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'Only records about this token id.' }),
  ),
  ip: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Only records whose source IP or proxy IP is this address (exact, not a range).',
    }),
  ),
  nodeId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: 'Only records written by this node.' }),
  ),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'Free text, case-insensitive: in the summary, the token description, the author, the affected user or the details.',
    }),
  ),
};

export const AuditSearchQuery = Type.Object(
  { ...filterFields, ...PageQuery },
  { additionalProperties: false },
);
type AuditSearchQuery = Static<typeof AuditSearchQuery>;

export const AuditExportQuery = Type.Object(
  {
    format: Type.Union(literals(AUDIT_EXPORT_FORMATS), {
      description:
        '`csv`: RFC 4180 with a header row; an empty field is null and `""` an empty string. `jsonl`: one JSON object per line, as in the search response.',
    }),
    ...filterFields,
  },
  { additionalProperties: false },
);

const AuditPage = PageOf(
  AuditRecordView,
  'AuditPage',
  'Matching records, newest first: by `time`, then by `seq` among records of the same millisecond.',
);

const ChainProblem = Type.Object(
  {
    kind: Type.Union([Type.Literal('modified'), Type.Literal('deleted'), Type.Literal('reordered')], {
      description:
        '`modified`: a record does not match its hash. `deleted`: records are missing. `reordered`: a record is out of place.',
    }),
    seq: Type.Integer({ description: 'The chain position where the problem shows.' }),
    message: Type.String({ description: 'What is wrong, in words.' }),
  },
  { description: 'The first problem the walk found.' },
);

const VerifyResponse = Type.Object({
  ok: Type.Boolean({ description: 'True when the whole chain is intact.' }),
  checked: Type.Integer({ description: 'Records whose hash and link were checked.' }),
  fromSeq: Type.Integer({
    description: 'Where the walk started: 0 (the genesis) or the retention checkpoint after a purge.',
  }),
  headSeq: Nullable(Type.Integer(), 'The chain head the database records; null for an empty log.'),
  problem: Nullable(ChainProblem, 'The first problem found; null when ok.'),
  purges: Type.Array(
    Type.Object({
      seq: Type.Integer({ description: 'The purge record.' }),
      summary: Type.String({
        description:
          'What was purged, under which setting, set by whom (as `tokengate audit verify` prints it).',
      }),
    }),
    { description: 'The retention purges the walk passed, oldest first.' },
  ),
});

/** A page's end as `nextCursor`: the last record's time and seq (the search's order), opaque to clients. */
export function encodeAuditCursor(at: AuditPosition): string {
  return Buffer.from(`${at.ts}.${at.seq}`).toString('base64url');
}

export function decodeAuditCursor(text: string): AuditPosition {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  // Before the search was ordered by time, a cursor held only the seq; it would page in the old order.
  if (/^[1-9]\d{0,15}$/.test(raw) && Buffer.from(raw).toString('base64url') === text) {
    throw invalidField(
      'query.cursor',
      'is a cursor of an earlier version, which ordered by seq only; search again without a cursor',
    );
  }
  const m = /^(0|[1-9]\d{0,15})\.([1-9]\d{0,15})$/.exec(raw);
  const at = m ? { ts: Number(m[1]), seq: Number(m[2]) } : null;
  // Re-encoding must give back the same text: anything else is not a cursor we handed out.
  if (
    !at ||
    !Number.isSafeInteger(at.ts) ||
    !Number.isSafeInteger(at.seq) ||
    encodeAuditCursor(at) !== text
  ) {
    throw invalidField('query.cursor', 'is not a cursor this API returned');
  }
  return at;
}

type FilterQuery = Partial<Record<keyof typeof filterFields, string>>;

function toFilter(q: FilterQuery): AuditFilter {
  const f: AuditFilter = {};
  if (q.from !== undefined) f.from = Date.parse(q.from);
  if (q.to !== undefined) f.to = Date.parse(q.to);
  if (f.from !== undefined && f.to !== undefined && f.from > f.to)
    throw invalidField('query.to', 'is before query.from');
  if (q.author !== undefined) f.author = q.author;
  if (q.category !== undefined) f.category = q.category as AuditFilter['category'];
  if (q.action !== undefined) f.action = q.action;
  if (q.affectedUser !== undefined) f.affectedUser = q.affectedUser;
  if (q.tokenId !== undefined) f.tokenId = q.tokenId;
  if (q.ip !== undefined) {
    const ip = normalizeSocketIp(q.ip.trim());
    if (!parseIp(ip)) throw invalidField('query.ip', `"${q.ip}" is not an IP address`);
    f.ip = ip;
  }
  if (q.nodeId !== undefined) f.nodeId = q.nodeId;
  if (q.q !== undefined) f.q = q.q;
  return f;
}

/** `20240131T235959Z`: a timestamp that is safe in a file name. */
function fileStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** GET /admin/audit: one page of the search, newest first. */
function searchRoute(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/audit',
    {
      schema: {
        tags: ['audit'],
        operationId: 'adminSearchAudit',
        summary: 'Search the audit log',
        description:
          'Filters combine with AND; time bounds are inclusive. Newest first by `time` (then `seq`), with cursor paging that stays stable while new records arrive.',
        querystring: AuditSearchQuery,
        response: { 200: AuditPage, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const q: AuditSearchQuery = req.query;
      const after = q.cursor !== undefined ? decodeAuditCursor(q.cursor) : undefined;
      const filter = toFilter(q);
      const limit = q.limit ?? DEFAULT_PAGE_SIZE;
      // One extra record tells whether another page follows.
      const rows = await deps.store.audit.search(filter, limit + 1, after);
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return sendPage(req, reply, {
        items: items.map(auditRecordView),
        nextCursor: rows.length > limit && last ? encodeAuditCursor(last) : null,
      });
    },
  );
}

/** GET /admin/audit/export: every matching record, streamed as CSV or NDJSON. */
function exportRoute(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/audit/export',
    {
      schema: {
        tags: ['audit'],
        operationId: 'adminExportAudit',
        summary: 'Export the audit log',
        description: `Every matching record, newest first, streamed a page at a time (never built whole in memory). Same filters as the search. CSV columns: ${AUDIT_CSV_COLUMNS.join(', ')}; \`time\` is ISO 8601 UTC, \`details\` canonical JSON. The CSV parses back to exactly the same records.`,
        querystring: AuditExportQuery,
        response: {
          // The body is a stream; the schema only documents it.
          200: Type.Unsafe<Readable>({
            description: 'The export, as an attachment.',
            content: {
              'text/csv': { schema: Type.String({ description: 'RFC 4180 CSV with a header row.' }) },
              'application/x-ndjson': {
                schema: Type.String({ description: 'One AuditRecord JSON object per line.' }),
              },
            },
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const format = req.query.format;
      const chunks = auditExportChunks(iterateAudit(deps.store, toFilter(req.query)), format);
      // Read the first page before answering, so a failing database gives an error status rather
      // than a truncated 200.
      const first = await chunks.next();
      async function* rest(): AsyncGenerator<string, void, undefined> {
        if (first.done) return;
        yield first.value;
        yield* chunks;
      }
      const ext = format === 'csv' ? 'csv' : 'jsonl';
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header(
          'content-disposition',
          `attachment; filename="tokengate-audit-${fileStamp(deps.now())}.${ext}"`,
        )
        .header('x-content-type-options', 'nosniff')
        .send(Readable.from(rest(), { objectMode: false }));
    },
  );
}

/** GET /admin/audit/verify: walks the hash chain and reports the first problem. */
function verifyRoute(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/audit/verify',
    {
      schema: {
        tags: ['audit'],
        operationId: 'adminVerifyAudit',
        summary: 'Verify the audit hash chain',
        description:
          'Walks the whole chain from the genesis or the last retention checkpoint to its head and reports the first record that was modified, deleted or reordered. It reads every record, so on a large log it takes a while.',
        response: { 200: VerifyResponse, ...ErrorResponses },
      },
    },
    async () => {
      const r = await verifyAuditChain(deps.store);
      return {
        ok: r.ok,
        checked: r.checked,
        fromSeq: r.fromSeq,
        headSeq: r.headSeq,
        problem: r.problem,
        purges: r.purges.map((p) => ({ seq: p.seq, summary: describePurge(p) })),
      };
    },
  );
}

/** The audit log: search, streamed export and chain verification. Admin group only. */
export function adminAuditRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', async (req) => {
      if (!isAdmin(req.principal)) throw new AppError('forbidden', 'the audit log needs the admin group');
    });

    searchRoute(app, deps);
    exportRoute(app, deps);
    verifyRoute(app, deps);
  };
}
