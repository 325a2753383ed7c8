import type { Generated } from 'kysely';

/**
 * Table types shared by SQLite and PostgreSQL. Times are epoch milliseconds (BIGINT), booleans are
 * 0/1 integers and lists are JSON text, so the same Kysely queries run on both databases.
 */
export interface UsersTable {
  username: string;
  display_name: string;
  email: string | null;
  groups: string;
  password_hash: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
  /** local | ldap | oidc | sso-header | service (migration 0009). */
  source: Generated<string>;
  /** Epoch ms of the last sign-in; null: never (migration 0009). */
  last_sign_in_at: number | null;
  /** A service account's owning group (migration 0009). */
  owner_group: string | null;
  /** Why tokengate disabled the user; null: an administrator did, or enabled (migration 0009). */
  disabled_reason: string | null;
}

export interface TokensTable {
  id: string;
  hash: string;
  username: string;
  description: string;
  scope: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  allowed_ips: string | null;
  rate_limit_requests: number | null;
  rate_limit_window_seconds: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
  use_count: Generated<number>;
  rotated_at: number | null;
  expiry_warned_at: number | null;
  /** Who received the current secret (migration 0007); null: unknown, rotated before 0007. */
  secret_issued_by: string | null;
}

/** A hash a token had before a rotation: valid until `valid_until`, reuse after that. */
export interface TokenRotationsTable {
  hash: string;
  token_id: string;
  rotated_at: number;
  valid_until: number;
  /** Who received this secret (migration 0007); null: unknown, rotated before 0007. */
  issued_by: string | null;
}

/** A web UI session; the cookie value is never stored, only its SHA-256. */
export interface SessionsTable {
  id_hash: string;
  username: string;
  csrf: string;
  created_at: number;
  expires_at: number;
  ip: string | null;
  /** ui | gateway (migration 0010). */
  kind: string;
  /** password | oidc | sso-header (migration 0010). */
  method: string;
  /** The OpenID provider's ID token of an oidc session, for the logout hint (migration 0010). */
  id_token: string | null;
}

/** Serving nodes and their heartbeats. */
export interface NodesTable {
  id: string;
  version: string;
  started_at: number;
  last_heartbeat: number;
  pid: number;
  redis: number;
}

/** Authentication outcomes per minute and node, for the dashboard. */
export interface AuthStatsTable {
  minute: number;
  node_id: string;
  outcome: string;
  count: number;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
  updated_by: string;
}

export interface AuditTable {
  id: Generated<number>;
  ts: number;
  category: string;
  action: string;
  summary: string;
  author: string;
  affected_user: string | null;
  token_id: string | null;
  token_description: string | null;
  source_ip: string | null;
  proxy_ip: string | null;
  node_id: string | null;
  request_id: string | null;
  method: string | null;
  endpoint: string | null;
  outcome: string | null;
  details: string | null;
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

/** The chain head: the last record's seq and hash (one row, id 1). */
export interface AuditChainTable {
  id: number;
  seq: number;
  hash: string;
}

/** Where the chain continues after a retention purge removed older records. */
export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  created_at: number;
  purged: number;
}

/** How far each node's SIEM outputs have shipped its records. */
export interface AuditShippingTable {
  node_id: string;
  output: string;
  last_seq: number;
}

/** An append-only feed of changes that caches on every process follow (see services/change-feed.ts). */
export interface ChangesTable {
  seq: Generated<number>;
  ts: number;
  kind: string;
  ref: string;
}

export interface Database {
  users: UsersTable;
  tokens: TokensTable;
  token_rotations: TokenRotationsTable;
  settings: SettingsTable;
  audit_log: AuditTable;
  sessions: SessionsTable;
  nodes: NodesTable;
  auth_stats: AuthStatsTable;
  audit_chain: AuditChainTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_shipping: AuditShippingTable;
  changes: ChangesTable;
}
