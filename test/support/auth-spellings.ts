import { randomBytes } from 'node:crypto';
import { recordAuthorization, recordSecret } from './artifacts.js';

/**
 * The Authorization spellings of test/attacks-auth-scheme.test.ts (issue 14, finding 3): each one,
 * which common parsers read it as Basic or Bearer, and what tokengate makes of it. The secrets and
 * every header are recorded on import, so the suite's artifacts are scanned for them.
 */

export const USER = 'mallory';
/** A unique password (never a dictionary word: the suite scans every log for the secrets it sent). */
export const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
export const B64 = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
/** A foreign Bearer value (the upstream's own OAuth token, say). */
export const FOREIGN = `eyJ${randomBytes(12).toString('hex')}`;
recordSecret('password', PASSWORD);
recordSecret('token', FOREIGN);

/** The reading of each parser we compared against (source read for this test, 2025). */
export const READERS = {
  springBasic:
    'Spring Security BasicAuthenticationConverter: trim(), startsWithIgnoreCase("Basic"), substring(6), Base64 (strict) → logs in',
  springBearer:
    'Spring Security DefaultBearerTokenResolver: startsWithIgnoreCase("bearer"), then /^Bearer (?<token>[a-zA-Z0-9-._~+/]+=*)$/i or 401 "Bearer token is malformed"',
  tomcat:
    'Tomcat BasicAuthenticator: startsWithIgnoreCase("basic ") (one space), lenient Base64 that skips non-alphabet bytes, trims user and password',
  jshttp: 'jshttp basic-auth: /^ *(?:[Bb][Aa][Ss][Ii][Cc]) +([A-Za-z0-9._~+/-]+=*) *$/',
  go: 'Go net/http parseBasicAuth: EqualFold("Basic "), base64.StdEncoding; oauth2 servers: HasPrefix("Bearer ") / SplitN(" ") + EqualFold',
  python:
    'werkzeug < 2.3 / DRF: value.split() (str.split splits on Unicode whitespace: U+00A0, U+0085, U+2028…), lower() == "basic", b64decode without validation',
  none: 'no parser we know reads it as Basic or Bearer',
} as const;

export type Reader = keyof typeof READERS;
export type Expected = 'basic' | 'bearer' | 'malformed' | 'other';

export interface Spelling {
  name: string;
  header: string;
  /** Who reads it as Basic or Bearer (or tries to, and answers 401 itself). */
  readBy: Reader[];
  /** What tokengate made of it before the fix (commit 0fcfa8b). */
  before: 'none' | 'basic' | 'bearer' | 'malformed';
  /** What tokengate makes of it now. */
  now: Expected;
  /** False when Node's HTTP parser cannot carry it (leading whitespace is stripped, non-Latin-1 chars). */
  overHttp: boolean;
}

/** The table of spellings: each one, who reads it as Basic or Bearer, and what tokengate does. */
export const SPELLINGS: Spelling[] = [
  // The clean forms: parsed.
  {
    name: 'Basic SP b64',
    header: `Basic ${B64}`,
    readBy: ['springBasic', 'tomcat', 'jshttp', 'go', 'python'],
    before: 'basic',
    now: 'basic',
    overHttp: true,
  },
  {
    name: 'basic (any case)',
    header: `bAsIc ${B64}`,
    readBy: ['springBasic', 'tomcat', 'jshttp', 'go', 'python'],
    before: 'basic',
    now: 'basic',
    overHttp: true,
  },
  {
    name: 'Basic SP SP b64 (RFC 9110: 1*SP)',
    header: `Basic  ${B64}`,
    readBy: ['tomcat', 'jshttp', 'python'],
    before: 'basic',
    now: 'basic',
    overHttp: true,
  },
  {
    name: 'Bearer SP value',
    header: `Bearer ${FOREIGN}`,
    readBy: ['springBearer', 'go', 'python'],
    before: 'bearer',
    now: 'bearer',
    overHttp: true,
  },
  // Read as Basic by a lenient parser, "no credentials" to tokengate before: now malformed.
  {
    name: 'Basic TAB b64',
    header: `Basic\t${B64}`,
    readBy: ['springBasic', 'python'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'BasicX b64',
    header: `BasicX${B64}`,
    readBy: ['springBasic'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Basic= b64',
    header: `Basic=${B64}`,
    readBy: ['springBasic'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Basic NBSP b64',
    header: `Basic\u00a0${B64}`,
    readBy: ['springBasic', 'python'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Basic NEL b64',
    header: `Basic\u0085${B64}`,
    readBy: ['springBasic', 'python'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'NBSP Basic SP b64',
    header: `\u00a0Basic ${B64}`,
    readBy: ['python'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Basically b64',
    header: `Basically ${B64}`,
    readBy: ['springBasic'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Basic alone',
    header: 'Basic',
    readBy: ['springBasic'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  // Java's case-insensitive compare folds ſ (U+017F) to S and ı/İ (U+0131/U+0130) to I.
  {
    name: 'Baſic b64 (long s)',
    header: `Ba\u017fic ${B64}`,
    readBy: ['springBasic'],
    before: 'none',
    now: 'malformed',
    overHttp: false,
  },
  {
    name: 'Basıc b64 (dotless i)',
    header: `Bas\u0131c ${B64}`,
    readBy: ['springBasic'],
    before: 'none',
    now: 'malformed',
    overHttp: false,
  },
  {
    name: 'SP Basic SP b64 (middleware callers)',
    header: ` Basic ${B64}`,
    readBy: ['springBasic', 'jshttp', 'python'],
    before: 'none',
    now: 'malformed',
    overHttp: false,
  },
  // Read as Basic by a lenient decoder; tokengate already refused these, and still does.
  {
    name: 'Basic SP b64 with an inner space',
    header: `Basic ${B64.slice(0, 8)} ${B64.slice(8)}`,
    readBy: ['tomcat', 'python'],
    before: 'malformed',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Basic SP b64 NBSP (trailing)',
    header: `Basic ${B64}\u00a0`,
    readBy: ['tomcat', 'python'],
    before: 'basic',
    now: 'malformed',
    overHttp: true,
  },
  // Bearer spellings.
  {
    name: 'Bearer TAB value',
    header: `Bearer\t${FOREIGN}`,
    readBy: ['springBearer', 'python'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Bearer NBSP value',
    header: `Bearer\u00a0${FOREIGN}`,
    readBy: ['springBearer', 'python'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'BearerX value',
    header: `BearerX${FOREIGN}`,
    readBy: ['springBearer'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Bearer alone',
    header: 'Bearer',
    readBy: ['springBearer'],
    before: 'none',
    now: 'malformed',
    overHttp: true,
  },
  {
    name: 'Bearer SP value NBSP (trailing)',
    header: `Bearer ${FOREIGN}\u00a0`,
    readBy: ['springBearer'],
    before: 'bearer',
    now: 'malformed',
    overHttp: true,
  },
  // Other schemes: the upstream's credentials, password-equivalent for an upstream that speaks them.
  {
    name: 'Digest',
    header: `Digest username="${USER}", realm="app", nonce="n", uri="/", response="r"`,
    readBy: ['none'],
    before: 'none',
    now: 'other',
    overHttp: true,
  },
  {
    name: 'NTLM',
    header: 'NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==',
    readBy: ['none'],
    before: 'none',
    now: 'other',
    overHttp: true,
  },
  {
    name: 'Negotiate',
    header: 'Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAg',
    readBy: ['none'],
    before: 'none',
    now: 'other',
    overHttp: true,
  },
  {
    name: 'an unknown scheme',
    header: `ApiKey ${FOREIGN}`,
    readBy: ['none'],
    before: 'none',
    now: 'other',
    overHttp: true,
  },
];
for (const s of SPELLINGS) recordAuthorization(s.header);
