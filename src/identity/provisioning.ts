import type { RequestContext } from '../domain/audit/audit.js';
import type { StoredUser } from '../domain/user.js';
import type { DirectoryUser } from '../ports/directory.js';

/** Where a user who signs in without a tokengate password was vouched for. */
export type SignInSource = 'ldap' | 'oidc' | 'sso-header';

/**
 * Just-in-time users (src/services/provisioning.ts implements it): creates or updates tokengate's row
 * for a user an identity source vouched for, with the mapped groups. Refuses with AppError
 * 'forbidden' when a local user of that name exists or an administrator disabled the user.
 */
export interface UserProvisioning {
  signIn(source: SignInSource, user: DirectoryUser, ctx: RequestContext): Promise<StoredUser>;
}
