/**
 * What changed, for the caches of every process sharing the database: a token (ref = token id), a
 * user (ref = username), the settings (ref = `*`) or a session (ref = its hash). The `changes`
 * table's `kind` (store/change-repo.ts) and the change-propagation port (ports/change-feed.ts) both
 * use this one list.
 */
export type ChangeKind = 'token' | 'user' | 'settings' | 'session';
