import type { Settings } from '../settings.js';
import { ADMIN_GROUP } from '../user.js';

export type Permission = 'useTokens' | 'createOwnTokens' | 'manageAllTokens';

/** Who is acting: a directory user (by password or token) or the local command line. */
export interface Principal {
  username: string;
  groups: readonly string[];
  via: 'password' | 'token' | 'session' | 'cli';
  /** Set when `via` is `token`. */
  tokenId?: string;
  tokenScope?: 'read' | 'write';
}

/** The command line runs with the operator's file-system access to the database: it may do anything. */
export const CLI_PRINCIPAL: Principal = { username: '@cli', groups: [ADMIN_GROUP], via: 'cli' };

export function isAdmin(p: Pick<Principal, 'groups'>): boolean {
  return p.groups.includes(ADMIN_GROUP);
}

/** Pure permission check: the admin group holds every permission, whatever the settings say. */
export function hasPermission(
  p: Pick<Principal, 'groups'>,
  permission: Permission,
  settings: Settings,
): boolean {
  if (isAdmin(p)) return true;
  const granted = settings[`permissions.${permission}`];
  return granted.includes('*') || p.groups.some((g) => granted.includes(g));
}
