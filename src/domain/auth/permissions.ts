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

/** What the owning-group check needs to know of the account whose tokens are managed. */
export interface AccountForOwners {
  groups: readonly string[];
  source?: string;
  ownerGroup?: string | null;
}

/**
 * Whether `p` may manage `account`'s tokens as a member of its owning group (issue 17): `account` is
 * a service account and `p`'s groups include its ownerGroup. Not when the account holds a management
 * power that `p` lacks (admin, manageAllTokens): a token of it would hand that power to `p`, as a
 * token manager may not create tokens for an administrator. Whether `p` is still enabled is for the
 * caller, which has the store.
 */
export function ownsServiceAccount(
  p: Pick<Principal, 'groups'>,
  account: AccountForOwners,
  settings: Settings,
): boolean {
  if (account.source !== 'service' || !account.ownerGroup || !p.groups.includes(account.ownerGroup))
    return false;
  // The admin group holds manageAllTokens too, so this also keeps a member from an admin account.
  return (
    !hasPermission(account, 'manageAllTokens', settings) || hasPermission(p, 'manageAllTokens', settings)
  );
}

/** Directory groups that give permissions (config `identity.groups`, config/identity.ts). */
export interface IdentityGroups {
  admin: readonly string[];
  manageAllTokens: readonly string[];
  createOwnTokens: readonly string[];
  useTokens: readonly string[];
}

const PERMISSIONS: readonly Permission[] = ['useTokens', 'createOwnTokens', 'manageAllTokens'];

/**
 * The settings with the config's directory groups added to the `permissions.*` lists, so that every
 * hasPermission check counts them without an administrator repeating them in the settings. Returns
 * the same object when the config adds nothing (the usual case: no directory).
 */
export function withIdentityGroups(settings: Settings, groups: IdentityGroups): Settings {
  if (PERMISSIONS.every((p) => groups[p].length === 0)) return settings;
  const merged: Settings = { ...settings };
  for (const p of PERMISSIONS) {
    const key = `permissions.${p}` as const;
    merged[key] = [...new Set([...settings[key], ...groups[p]])];
  }
  return merged;
}

/**
 * A directory user's tokengate groups: their directory groups as they are, plus `admin` when one of
 * them is listed in identity.groups.admin. A directory group that happens to be called `admin` does
 * not make anyone an administrator by its name alone: only the config's mapping does, so that a
 * group made for another application cannot hand out tokengate's admin. Names tokengate cannot hold
 * (spaces, too long) are left out.
 */
export function mapDirectoryGroups(
  directoryGroups: readonly string[],
  groups: Pick<IdentityGroups, 'admin'>,
  validName: (g: string) => boolean,
): string[] {
  const kept = directoryGroups.filter((g) => g !== ADMIN_GROUP && validName(g));
  const admin = directoryGroups.some((g) => groups.admin.includes(g));
  return [...new Set(admin ? [...kept, ADMIN_GROUP] : kept)];
}
