/**
 * The audit record's fields, declared once. The event and record types (src/domain/audit/audit.ts), the
 * hashed chain content and its field order (src/domain/audit/chain.ts), the table's columns and the
 * row mappings (src/store/audit-repo.ts), the CSV columns and parser and the JSON view
 * (src/audit/export.ts) and the API's schema of the view (src/http/api/routes/admin-audit.ts) all
 * derive from AUDIT_RECORD_FIELDS.
 *
 * The order is the view's and the CSV's column order. The fields `inChain` are the event's, and in
 * this order they are hashed: reordering, renaming or retyping them changes every record's hash, so
 * the chain of an existing database would no longer verify (src/domain/audit/record.test.ts pins
 * the hash of a fixed record).
 */

/** Audit categories. The audit issue extends this list; names are part of the export format. */
export const AUDIT_CATEGORIES = ['tokens', 'users', 'settings', 'authentication', 'logging'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

export function isAuditCategory(s: string): s is AuditCategory {
  return (AUDIT_CATEGORIES as readonly string[]).includes(s);
}

/**
 * How a field is typed, stored and shown:
 * - `integer`: a number; a bigint column (the driver may return it as a string).
 * - `time`: epoch ms in the record and the table; ISO 8601 UTC with milliseconds in the view and CSV.
 * - `category`: an AuditCategory; text in the table.
 * - `string`: text.
 * - `json`: an object in the record and the view; its canonical JSON text (keys sorted) in the table,
 *   the CSV and the hashed content, where its key is the name followed by `Text`.
 * - `hash`: SHA-256 hex; the column is null, and the record's value `''`, on records written before
 *   the chain existed.
 */
export type AuditFieldKind = 'integer' | 'time' | 'category' | 'string' | 'json' | 'hash';

export interface AuditFieldDecl {
  /** The key in AuditEvent / AuditRecord. */
  readonly name: string;
  /** The audit_log column. */
  readonly column: string;
  /** The key in the view, the JSON lines and the CSV header. */
  readonly view: string;
  readonly kind: AuditFieldKind;
  /** Whether the record's value may be null. */
  readonly nullable: boolean;
  /** An event's field, covered by the record's hash; the others place the record in the chain or the table. */
  readonly inChain: boolean;
  /** The database assigns it: an append does not write it. */
  readonly generated: boolean;
  /** What the field holds, for the API's documentation. */
  readonly description: string;
}

export const AUDIT_RECORD_FIELDS = [
  {
    name: 'seq',
    column: 'seq',
    view: 'seq',
    kind: 'integer',
    nullable: false,
    inChain: false,
    generated: false,
    description:
      'Position in the hash chain: 1, 2, 3… in commit order, without gaps. Breaks ties between records of the same millisecond.',
  },
  {
    name: 'id',
    column: 'id',
    view: 'id',
    kind: 'integer',
    nullable: false,
    inChain: false,
    generated: true,
    description: 'Row id in the database.',
  },
  {
    name: 'ts',
    column: 'ts',
    view: 'time',
    kind: 'time',
    nullable: false,
    inChain: true,
    generated: false,
    description: 'When it happened: ISO 8601, UTC, milliseconds. Lists are ordered by it, newest first.',
  },
  {
    name: 'category',
    column: 'category',
    view: 'category',
    kind: 'category',
    nullable: false,
    inChain: true,
    generated: false,
    description: `The area of the event: ${AUDIT_CATEGORIES.join(', ')}.`,
  },
  {
    name: 'action',
    column: 'action',
    view: 'action',
    kind: 'string',
    nullable: false,
    inChain: true,
    generated: false,
    description: 'What happened, such as `token.created` or `settings.changed`.',
  },
  {
    name: 'summary',
    column: 'summary',
    view: 'summary',
    kind: 'string',
    nullable: false,
    inChain: true,
    generated: false,
    description: 'One human-readable sentence.',
  },
  {
    name: 'author',
    column: 'author',
    view: 'author',
    kind: 'string',
    nullable: false,
    inChain: true,
    generated: false,
    description:
      'The authenticated user who acted, `@cli` for the command line, or `anonymous` when nobody was authenticated.',
  },
  {
    name: 'affectedUser',
    column: 'affected_user',
    view: 'affectedUser',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The user the event is about.',
  },
  {
    name: 'tokenId',
    column: 'token_id',
    view: 'tokenId',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The token the event is about (its public id, never the secret).',
  },
  {
    name: 'tokenDescription',
    column: 'token_description',
    view: 'tokenDescription',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: "That token's description when the event happened.",
  },
  {
    name: 'sourceIp',
    column: 'source_ip',
    view: 'sourceIp',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The client IP, as far as trusted proxies vouch for it (settings trustedProxies).',
  },
  {
    name: 'proxyIp',
    column: 'proxy_ip',
    view: 'proxyIp',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The trusted proxy or load balancer that connected to tokengate; null for a direct client.',
  },
  {
    name: 'nodeId',
    column: 'node_id',
    view: 'nodeId',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The tokengate node that recorded the event.',
  },
  {
    name: 'requestId',
    column: 'request_id',
    view: 'requestId',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The request id (the X-Request-Id response header).',
  },
  {
    name: 'method',
    column: 'method',
    view: 'method',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'HTTP method of the request.',
  },
  {
    name: 'endpoint',
    column: 'endpoint',
    view: 'endpoint',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The route or path of the request.',
  },
  {
    name: 'outcome',
    column: 'outcome',
    view: 'outcome',
    kind: 'string',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'The outcome or the reason, such as `success` or `expired`.',
  },
  {
    name: 'details',
    column: 'details',
    view: 'details',
    kind: 'json',
    nullable: true,
    inChain: true,
    generated: false,
    description: 'Event details, such as old and new setting values, the scope, or the rate limit.',
  },
  {
    name: 'prevHash',
    column: 'prev_hash',
    view: 'prevHash',
    kind: 'hash',
    nullable: false,
    inChain: false,
    generated: false,
    description: "SHA-256 (hex) of the previous record's hash: the chain link.",
  },
  {
    name: 'hash',
    column: 'hash',
    view: 'hash',
    kind: 'hash',
    nullable: false,
    inChain: false,
    generated: false,
    description: 'SHA-256 (hex) over prevHash and this record’s canonical content.',
  },
] as const satisfies readonly AuditFieldDecl[];

export type AuditField = (typeof AUDIT_RECORD_FIELDS)[number];
export type AuditChainField = Extract<AuditField, { inChain: true }>;

interface RecordValues {
  integer: number;
  time: number;
  category: AuditCategory;
  string: string;
  json: Record<string, unknown>;
  hash: string;
}

/** The value of a field in the record; null where the field is nullable. */
export type AuditFieldValue<F extends AuditField> =
  RecordValues[F['kind']] | (F['nullable'] extends true ? null : never);

/** The fields of an event: what the hash covers. */
export type AuditEventFields = { [F in AuditChainField as F['name']]: AuditFieldValue<F> };
/** The fields of a stored record. */
export type AuditRecordFields = { [F in AuditField as F['name']]: AuditFieldValue<F> };

/** The key of a field in the hashed content: a `json` field is hashed as its text, `<name>Text`. */
export type ChainKey<F extends AuditField> = F extends AuditField
  ? F['kind'] extends 'json'
    ? `${F['name']}Text`
    : F['name']
  : never;

interface ChainValues {
  integer: number;
  time: number;
  // As read back from the table: the chain hashes the stored text, whatever it is.
  category: string;
  string: string;
  json: string;
  hash: string;
}

/** The hashed content of a record, exactly as stored (a `json` field as its stored canonical text). */
export type AuditChainFields = {
  [F in AuditChainField as ChainKey<F>]: ChainValues[F['kind']] | (F['nullable'] extends true ? null : never);
};

interface ViewValues {
  integer: number;
  time: string;
  category: AuditCategory;
  string: string;
  json: Record<string, unknown>;
  hash: string;
}

/** An audit record as the API, the JSON lines export and `audit list --json` show it. */
export type AuditRecordViewFields = {
  [F in AuditField as F['view']]: ViewValues[F['kind']] | (F['nullable'] extends true ? null : never);
};

/** The event's fields, in the order they are hashed. */
export const AUDIT_CHAIN_FIELDS = AUDIT_RECORD_FIELDS.filter(
  (f): f is AuditChainField => f.inChain,
) as readonly AuditChainField[];

export function chainKey<F extends AuditField>(f: F): ChainKey<F> {
  return (f.kind === 'json' ? `${f.name}Text` : f.name) as ChainKey<F>;
}
