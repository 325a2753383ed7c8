/**
 * A query string read as loosely as the upstreams behind tokengate read it: parameters separated by
 * `&` or `;` (older Rack, Python's parse_qs, git-http-backend), `+` as a space, percent-decoding.
 * One reading for every check that looks into the query (method overrides, URL credentials, Git's
 * push discovery), so none of them can split or decode it differently from the others.
 */

/** The query's parameters as sent: the raw key, and the raw value or null for a key without `=`. */
export function queryParams(query: string): Array<[rawKey: string, rawValue: string | null]> {
  return query.split(/[&;]/).map((param) => {
    const eq = param.indexOf('=');
    return eq === -1 ? [param, null] : [param.slice(0, eq), param.slice(eq + 1)];
  });
}

/** A key or value as a CGI or form decoder reads it; null when it is not valid percent-encoding. */
export function decodeQueryPart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return null;
  }
}
