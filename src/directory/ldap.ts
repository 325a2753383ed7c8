import { randomBytes } from 'node:crypto';
import { Client, InvalidCredentialsError, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import { asciiLower, USERNAME_PATTERN } from '../domain/user.js';
import {
  DirectoryUnavailableError,
  type Directory,
  type DirectoryUser,
  type PasswordCheck,
  type PasswordRefusal,
} from '../ports/directory.js';
import { andFilters, fillFilter, firstRdnValue } from './filter.js';
import { adAccountDisabled, entryValue, entryValues } from './ldap-entry.js';
import { compileLdapOptions, type CompiledLdapOptions, type LdapDirectoryOptions } from './ldap-options.js';
import { Slots } from './slots.js';

/** The longest name USERNAME_PATTERN allows. */
const MAX_USERNAME_LENGTH = 64;

/** A user entry as the service account found it, before its groups are read. */
interface Found {
  dn: string;
  entry: Entry;
  user: Omit<DirectoryUser, 'groups' | 'disabled'>;
}

/**
 * Users, passwords and groups from LDAP or Active Directory (ldapts). A password is checked by
 * binding as the user, so the directory's own policy (hashes, lockout, expiry) applies and
 * tokengate never sees a hash.
 *
 * Each check opens its own connection, binds as the service account, finds the user, then binds
 * as the user on that connection and closes it. Sign-ins are rare next to token use (which never
 * reaches the directory), so a pool would add state for little gain; `maxConnections` bounds them.
 *
 * Every refusal makes the same round trips (issue 17): service bind, user search, the disabled
 * search when a disabledFilter is set, then a bind that fails. A name the directory does not hold,
 * a disabled user or an empty password gets that last bind as a decoy DN that cannot exist, so
 * their refusals cannot be told from a wrong password by timing. Groups are read only after a
 * successful bind.
 */
export class LdapDirectory implements Directory {
  readonly kind = 'ldap';
  private readonly o: CompiledLdapOptions;
  private readonly slots: Slots;
  /** Under userBaseDn with a random name: no entry, so binding as it fails as a wrong password does. */
  private readonly decoyDn: string;
  /** Sent with the decoy DN: the password the client gave only ever goes to its own user's bind. */
  private readonly decoyPassword: string;
  private closed = false;

  constructor(options: LdapDirectoryOptions) {
    this.o = compileLdapOptions(options);
    this.slots = new Slots(this.o.maxConnections);
    this.decoyDn = `cn=tokengate-no-such-user-${randomBytes(12).toString('hex')},${this.o.userBaseDn}`;
    this.decoyPassword = randomBytes(18).toString('base64url');
  }

  async verifyPassword(username: string, password: string): Promise<PasswordCheck> {
    const folded = asciiLower(username);
    // An invalid name is searched for too (escaped, cut to a valid name's length), for the same
    // round trips, but never accepted: the directory's matching rules ignore spaces and case, so
    // " alice" would find alice.
    const valid = USERNAME_PATTERN.test(folded);
    const name = valid ? folded : folded.slice(0, MAX_USERNAME_LENGTH);
    return this.session(async (client) => {
      const found = await this.lookup(client, name);
      const disabled = await this.isDisabled(client, name, found);
      // An LDAP simple bind with a DN and an empty password is an "unauthenticated bind" that many
      // servers accept as success: an empty password never goes to a real DN.
      if (password === '' || !valid || found === null || disabled) {
        await this.decoyBind(client);
        const reason: PasswordRefusal =
          password === '' ? 'no-password' : !valid || found === null ? 'unknown-user' : 'disabled';
        return { ok: false, reason };
      }
      try {
        await client.bind(found.dn, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return { ok: false, reason: 'wrong-password' };
        throw err;
      }
      if (this.o.groupSearch !== null) {
        // Bound as the user now; the group search is the service account's to make.
        await client.bind(this.o.bindDn, this.o.bindPassword);
      }
      return {
        ok: true,
        user: { ...found.user, groups: await this.groups(client, found.entry), disabled: false },
      };
    });
  }

  /**
   * The last step of a refusal: a bind that fails like a wrong password. Whatever the server
   * answers is ignored (the check is refused already); a fault that is no answer (timeout, the
   * connection lost) still makes the directory unavailable, as it would for a real bind.
   */
  private async decoyBind(client: Client): Promise<void> {
    try {
      await client.bind(this.decoyDn, this.decoyPassword);
    } catch (err) {
      if (!(err instanceof ResultCodeError)) throw err;
    }
  }

  async find(username: string): Promise<DirectoryUser | null> {
    const name = asciiLower(username);
    if (!USERNAME_PATTERN.test(name)) return null;
    return this.session(async (client) => {
      const found = await this.lookup(client, name);
      if (!found) return null;
      const disabled = await this.isDisabled(client, name, found);
      return { ...found.user, groups: await this.groups(client, found.entry), disabled };
    });
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
    return {
      dn: entry.dn,
      entry,
      user: {
        username,
        displayName: entryValue(entry, a.displayName) ?? username,
        email: entryValue(entry, a.email),
      },
    };
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

  /**
   * Whether the user `name` is disabled: Active Directory's flag on the found entry, and the
   * disabledFilter tested by the server. That search runs whether or not the user was found (the
   * user filter AND the disabled filter, under userBaseDn), so an unknown name costs it too.
   */
  private async isDisabled(client: Client, name: string, found: Found | null): Promise<boolean> {
    const adDisabled = this.o.activeDirectory && found !== null && adAccountDisabled(found.entry);
    if (this.o.disabledFilter === null) return adDisabled;
    let matched: boolean;
    try {
      const { searchEntries } = await client.search(this.o.userBaseDn, {
        scope: 'sub',
        filter: andFilters(fillFilter(this.o.userFilter, { username: name }), this.o.disabledFilter),
        attributes: ['1.1'],
        sizeLimit: 2,
      });
      matched = searchEntries.length > 0;
    } catch (err) {
      if (!(err instanceof SizeLimitExceededError)) throw err;
      matched = true;
    }
    return adDisabled || matched;
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)].sort();
}
