import { Client, InvalidCredentialsError, SizeLimitExceededError, type Entry } from 'ldapts';
import { asciiLower, USERNAME_PATTERN } from '../domain/user.js';
import {
  DirectoryUnavailableError,
  type Directory,
  type DirectoryUser,
  type PasswordCheck,
} from '../ports/directory.js';
import { fillFilter, firstRdnValue } from './filter.js';
import { adAccountDisabled, entryValue, entryValues } from './ldap-entry.js';
import { compileLdapOptions, type CompiledLdapOptions, type LdapDirectoryOptions } from './ldap-options.js';
import { Slots } from './slots.js';

/** A user entry as the service account found it. */
interface Found {
  dn: string;
  user: DirectoryUser;
}

/**
 * Users, passwords and groups from LDAP or Active Directory (ldapts). A password is checked by
 * binding as the user, so the directory's own policy (hashes, lockout, expiry) applies and
 * tokengate never sees a hash.
 *
 * Each check opens its own connection, binds as the service account, finds the user, then binds
 * as the user on that connection and closes it. Sign-ins are rare next to token use (which never
 * reaches the directory), so a pool would add state for little gain; `maxConnections` bounds them.
 */
export class LdapDirectory implements Directory {
  readonly kind = 'ldap';
  private readonly o: CompiledLdapOptions;
  private readonly slots: Slots;
  private closed = false;

  constructor(options: LdapDirectoryOptions) {
    this.o = compileLdapOptions(options);
    this.slots = new Slots(this.o.maxConnections);
  }

  async verifyPassword(username: string, password: string): Promise<PasswordCheck> {
    // An LDAP simple bind with a DN and an empty password is an "unauthenticated bind" that many
    // servers accept as success: it must never reach the directory as a password check.
    if (password === '') return { ok: false, reason: 'no-password' };
    const name = asciiLower(username);
    if (!USERNAME_PATTERN.test(name)) return { ok: false, reason: 'unknown-user' };
    return this.session(async (client) => {
      const found = await this.lookup(client, name);
      if (!found) return { ok: false, reason: 'unknown-user' };
      if (found.user.disabled) return { ok: false, reason: 'disabled' };
      try {
        await client.bind(found.dn, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return { ok: false, reason: 'wrong-password' };
        throw err;
      }
      return { ok: true, user: found.user };
    });
  }

  async find(username: string): Promise<DirectoryUser | null> {
    const name = asciiLower(username);
    if (!USERNAME_PATTERN.test(name)) return null;
    return this.session(async (client) => (await this.lookup(client, name))?.user ?? null);
  }

  /** Waits for checks in flight; every connection is closed when it resolves. */
  async close(): Promise<void> {
    this.closed = true;
    await this.slots.drained();
  }

  /**
   * Runs `fn` on a fresh connection bound as the service account, and closes it after. Any failure
   * that is not an answer about the user (no connection, timeout, TLS, the service bind refused)
   * becomes DirectoryUnavailableError naming the server, never a password.
   */
  private async session<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new DirectoryUnavailableError(`LDAP directory ${this.o.server}: closed`);
    return this.slots.run(async () => {
      const client = new Client({
        url: this.o.url,
        timeout: this.o.timeoutMs,
        connectTimeout: this.o.timeoutMs,
        // ldapts speaks TLS from the start whenever tlsOptions is set: only for ldaps://.
        ...(this.o.ldaps ? { tlsOptions: this.o.tlsOptions } : {}),
      });
      let step = 'connecting';
      try {
        if (this.o.startTls) {
          step = 'StartTLS';
          await client.startTLS(this.o.tlsOptions);
        }
        step = `binding as ${this.o.bindDn}`;
        await client.bind(this.o.bindDn, this.o.bindPassword);
        step = 'searching';
        return await fn(client);
      } catch (err) {
        if (err instanceof DirectoryUnavailableError) throw err;
        const why = err instanceof Error ? err.message : String(err);
        throw new DirectoryUnavailableError(`LDAP directory ${this.o.server}: ${step} failed: ${why}`, {
          cause: err,
        });
      } finally {
        await client.unbind().catch(() => undefined);
      }
    });
  }

  /** Finds the one entry for `name` with the service bind; null when none (or, ambiguously, several). */
  private async lookup(client: Client, name: string): Promise<Found | null> {
    const a = this.o.attributes;
    const attributes = [a.username, a.displayName, a.email, a.memberOf];
    if (this.o.activeDirectory) attributes.push('userAccountControl');
    let entries: Entry[];
    try {
      ({ searchEntries: entries } = await client.search(this.o.userBaseDn, {
        scope: 'sub',
        filter: fillFilter(this.o.userFilter, { username: name }),
        attributes,
        // Two are enough to see that a filter matches more than one user.
        sizeLimit: 2,
      }));
    } catch (err) {
      if (err instanceof SizeLimitExceededError) return null;
      throw err;
    }
    const entry = entries[0];
    if (entries.length !== 1 || entry === undefined) return null;
    const username = asciiLower(entryValue(entry, a.username) ?? '');
    // A name tokengate could not hold (spaces, non-ASCII) is no user here, whatever the directory says.
    if (!USERNAME_PATTERN.test(username)) return null;
    const user: DirectoryUser = {
      username,
      displayName: entryValue(entry, a.displayName) ?? username,
      email: entryValue(entry, a.email),
      groups: await this.groups(client, entry),
      disabled: await this.isDisabled(client, entry),
    };
    return { dn: entry.dn, user };
  }

  private async groups(client: Client, entry: Entry): Promise<string[]> {
    const g = this.o.groupSearch;
    if (g === null) {
      const names = entryValues(entry, this.o.attributes.memberOf).map(firstRdnValue);
      return unique(names.filter((n): n is string => n !== null));
    }
    const { searchEntries } = await client.search(g.baseDn, {
      scope: 'sub',
      filter: fillFilter(g.filter, { dn: entry.dn }),
      attributes: [g.nameAttribute],
    });
    return unique(searchEntries.map((e) => entryValue(e, g.nameAttribute)).filter((n) => n !== null));
  }

  private async isDisabled(client: Client, entry: Entry): Promise<boolean> {
    if (this.o.activeDirectory && adAccountDisabled(entry)) return true;
    if (this.o.disabledFilter === null) return false;
    // The user's own entry, tested against the configured filter by the server.
    const { searchEntries } = await client.search(entry.dn, {
      scope: 'base',
      filter: this.o.disabledFilter,
      attributes: ['1.1'],
    });
    return searchEntries.length > 0;
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)].sort();
}
