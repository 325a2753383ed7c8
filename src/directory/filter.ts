/**
 * LDAP filter and DN text helpers. A user name goes into a search filter, so it is escaped as an
 * RFC 4515 assertion value: without it `*` matches every user and `alice)(uid=*` rewrites the filter
 * (LDAP injection).
 */

/** The characters RFC 4515 says an assertion value must escape, as `\` and two hex digits. */
const FILTER_SPECIALS = /[\\*()\0]/g;

/** Escapes a value for the right-hand side of an LDAP filter item (`(uid=<value>)`), RFC 4515 section 3. */
export function escapeFilterValue(value: string): string {
  return value.replace(FILTER_SPECIALS, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Fills `{name}` placeholders in a filter template with escaped values: the template is trusted
 * configuration, the values are not. A placeholder with no value is left as written, so a typo in
 * the configuration shows up in the server's answer instead of matching everything.
 */
export function fillFilter(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => {
    const v = values[name];
    return v === undefined ? whole : escapeFilterValue(v);
  });
}

/**
 * The value of a DN's first RDN (`tg-admins` for `cn=tg-admins,ou=groups,dc=example,dc=test`), with
 * RFC 4514 escapes (`\,`, `\2C`) undone: how a `memberOf` DN becomes a group name. Null when the DN
 * has no `attr=value` start.
 */
export function firstRdnValue(dn: string): string | null {
  const eq = dn.indexOf('=');
  if (eq <= 0) return null;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = eq + 1; i < dn.length; i++) {
    const c = dn.charAt(i);
    if (c === ',' || c === '+') break;
    if (c !== '\\') {
      bytes.push(...enc.encode(c));
      continue;
    }
    const hex = dn.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (i + 1 < dn.length) {
      bytes.push(...enc.encode(dn.charAt(i + 1)));
      i += 1;
    }
  }
  const value = new TextDecoder().decode(new Uint8Array(bytes)).trim();
  return value === '' ? null : value;
}

/**
 * The AND of trusted filters from the configuration, each put in parentheses when written without
 * (ldapts, like OpenLDAP's tools, accepts a bare `employeeType=disabled`; inside `(&…)` it must not be bare).
 */
export function andFilters(...filters: string[]): string {
  return `(&${filters.map((f) => (f.startsWith('(') ? f : `(${f})`)).join('')})`;
}
