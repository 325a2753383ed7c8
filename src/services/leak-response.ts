import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { maskTokens, type RequestContext } from '../domain/audit/audit.js';
import { AppError, invalidField, type FieldProblem } from '../domain/errors.js';
import { tokenPrefix } from '../domain/token/format.js';
import { hashToken } from '../domain/token/hash.js';
import type { StoredToken } from '../domain/token/token.js';
import type { User } from '../domain/user.js';
import type { Notifier } from '../notify/notifier.js';
import type { TokenService } from './token-service.js';

/**
 * The answer to a secret-scanning alert (docs/secret-scanning.md), in the format of GitHub's secret
 * scanning partner program: a signed JSON list of `{token, type, url, source}`. Every tokengate
 * token in it is revoked, its owner told, and the revocation audited with the URL where it was
 * found; the answer labels each token true or false positive by its SHA-256, never the token itself.
 */

/** Most entries one alert may carry; the API body limit usually binds first. */
export const MAX_ALERT_ENTRIES = 1000;
/** Longer `url` values are cut here (with `…`): they are kept in the audit log for years. */
export const MAX_URL_LENGTH = 2048;
/** Longer `type` and `source` values are cut here. */
export const MAX_LABEL_LENGTH = 128;
/** The header naming which configured key signed the body. */
export const KEY_ID_HEADER = 'Github-Public-Key-Identifier';
/** The header carrying the base64 DER ECDSA P-256 / SHA-256 signature of the raw body. */
export const SIGNATURE_HEADER = 'Github-Public-Key-Signature';
/** Who revokes, in the token's `revokedBy` and the audit record's author. */
export const LEAK_AUTHOR = '@secret-scanning';

/** A DER ECDSA P-256 signature is at most 72 bytes: 96 base64 characters. Anything far longer is not one. */
const MAX_SIGNATURE_CHARS = 256;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** One match reported by the scanner. `url`, `type` and `source` may be empty: GitHub says so for url. */
export interface LeakAlert {
  token: string;
  type: string;
  url: string;
  source: string;
}

/** One line of the answer, in the partner program's feedback format. */
export interface LeakLabel {
  /** SHA-256 of the token, hex: the answer never carries the token itself. */
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

/** The configured public keys by key identifier, parsed once. */
export type ScannerKeys = ReadonlyMap<string, KeyObject>;

/**
 * Parses `secretScanning.publicKeys` at start-up. Throws (a configuration fault, naming the entry)
 * for a key that is not an EC P-256 public key in PEM, or an identifier given twice.
 */
export function compileScannerKeys(keys: ReadonlyArray<{ id: string; pem: string }>): ScannerKeys {
  const out = new Map<string, KeyObject>();
  keys.forEach(({ id, pem }, i) => {
    const where = `secretScanning.publicKeys[${i}]`;
    if (out.has(id)) throw new Error(`${where}.id: "${id}" is given twice`);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (err) {
      throw new Error(`${where}.pem is not a readable PEM public key`, { cause: err });
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error(`${where}.pem must be an ECDSA P-256 (prime256v1) public key`);
    out.set(id, key);
  });
  return out;
}

export type SignatureCheck = { ok: true } | { ok: false; message: string };

/** Checks the signature of the exact bytes received. Pure: the keys, the two header values, the body. */
export function checkSignature(
  keys: ScannerKeys,
  keyId: string | undefined,
  signature: string | undefined,
  body: Buffer,
): SignatureCheck {
  if (keyId === undefined || keyId === '') return { ok: false, message: `missing ${KEY_ID_HEADER} header` };
  const key = keys.get(keyId);
  if (!key) {
    return {
      ok: false,
      message: `${KEY_ID_HEADER} names no configured key (secretScanning.publicKeys)`,
    };
  }
  if (signature === undefined || signature === '')
    return { ok: false, message: `missing ${SIGNATURE_HEADER} header` };
  if (signature.length > MAX_SIGNATURE_CHARS || !BASE64.test(signature))
    return { ok: false, message: `${SIGNATURE_HEADER} is not a base64 signature` };
  let valid = false;
  try {
    valid = verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    // A malformed DER signature: the same answer as a wrong one.
  }
  return valid ? { ok: true } : { ok: false, message: `${SIGNATURE_HEADER} does not match the request body` };
}

export type AlertParse = { ok: true; alerts: LeakAlert[] } | { ok: false; problem: FieldProblem };

const bad = (field: string, message: string): AlertParse => ({ ok: false, problem: { field, message } });

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Parses and validates the alert list. Every problem is found before anything is revoked: an alert
 * is answered whole or refused whole, with the first wrong field named (never its value).
 */
export function parseAlerts(body: Buffer): AlertParse {
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    return bad('body', 'is not valid JSON');
  }
  if (!Array.isArray(data)) return bad('body', 'must be a JSON array of {token, type, url, source}');
  if (data.length > MAX_ALERT_ENTRIES) return bad('body', `has more than ${MAX_ALERT_ENTRIES} entries`);
  const alerts: LeakAlert[] = [];
  for (const [i, entry] of (data as unknown[]).entries()) {
    const at = `body[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      return bad(at, 'must be an object {token, type, url, source}');
    const e = entry as Record<string, unknown>;
    if (typeof e.token !== 'string') return bad(`${at}.token`, 'must be a string');
    const text: Record<'type' | 'url' | 'source', string> = { type: '', url: '', source: '' };
    for (const name of ['type', 'url', 'source'] as const) {
      const v = e[name];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return bad(`${at}.${name}`, 'must be a string');
      // A token-shaped string in these fields would be kept in the audit log: masked like a path.
      text[name] = maskTokens(cut(v, name === 'url' ? MAX_URL_LENGTH : MAX_LABEL_LENGTH));
    }
    alerts.push({ token: e.token, ...text });
  }
  return { ok: true, alerts };
}

/** Where a secret's token is found: by its current hash, or a hash it had before a rotation. */
export interface SecretLookup {
  findByHash(hash: string): Promise<StoredToken | null>;
  findById(id: string): Promise<StoredToken | null>;
  /** The token a rotated (former) secret belonged to. */
  findRotated(hash: string): Promise<{ tokenId: string } | null>;
}

export interface LeakResponderDeps {
  keys: ScannerKeys;
  lookup: SecretLookup;
  users: { find(username: string): Promise<Pick<User, 'username' | 'displayName' | 'email'> | null> };
  tokens: Pick<TokenService, 'revokeAutomatically'>;
  /** Absent: nobody is told; the audit record remains. */
  notifier?: Notifier;
  now: () => number;
}

/** What the scanner sent: the raw body and the two signature headers. */
export interface SignedAlert {
  body: Buffer;
  keyId: string | undefined;
  signature: string | undefined;
}

export class LeakResponder {
  constructor(private readonly deps: LeakResponderDeps) {}

  /**
   * Verifies, validates, then handles each distinct token once, in the order given. Throws
   * `unauthorized` (signature) or `invalid_request` (body) before anything changes.
   * `ctx` is the request's context with author {@link LEAK_AUTHOR}.
   */
  async respond(alert: SignedAlert, ctx: RequestContext): Promise<LeakLabel[]> {
    const sig = checkSignature(this.deps.keys, alert.keyId, alert.signature, alert.body);
    if (!sig.ok) throw new AppError('unauthorized', sig.message);
    const parsed = parseAlerts(alert.body);
    if (!parsed.ok) throw invalidField(parsed.problem.field, parsed.problem.message);
    const seen = new Set<string>();
    const labels: LeakLabel[] = [];
    for (const a of parsed.alerts) {
      const hash = hashToken(a.token);
      if (seen.has(hash)) continue;
      seen.add(hash);
      const genuine = await this.handle(a, hash, ctx);
      labels.push({
        token_hash: hash,
        token_type: a.type,
        label: genuine ? 'true_positive' : 'false_positive',
      });
    }
    return labels;
  }

  /** True when the secret is (or was) one of our tokens; revokes it and tells the owner unless already revoked. */
  private async handle(a: LeakAlert, hash: string, ctx: RequestContext): Promise<boolean> {
    // Not our format or a wrong checksum: no token can have this secret, no lookup needed.
    if (tokenPrefix(a.token) === null) return false;
    const { lookup } = this.deps;
    let token = await lookup.findByHash(hash);
    let rotated = false;
    if (!token) {
      const former = await lookup.findRotated(hash);
      token = former ? await lookup.findById(former.tokenId) : null;
      rotated = token !== null;
    }
    if (!token) return false;
    // Already revoked: a true positive, with no second revocation, record or notice.
    if (token.revokedAt !== null) return true;
    const where = a.url === '' ? 'found leaked (no URL given)' : `found leaked at ${a.url}`;
    const summary = `Token "${token.description}" of ${token.user} revoked: ${rotated ? 'a rotated secret of it ' : ''}${where}`;
    const details = {
      url: a.url,
      source: a.source,
      type: a.type,
      ...(rotated ? { rotatedSecret: true } : {}),
    };
    const revoked = await this.deps.tokens.revokeAutomatically(token.id, ctx, 'leaked', summary, details);
    // null: revoked meanwhile (a concurrent alert): that one told the owner.
    if (revoked) await this.notify(revoked, a);
    return true;
  }

  private async notify(t: StoredToken, a: LeakAlert): Promise<void> {
    const { notifier } = this.deps;
    if (!notifier) return;
    const owner = await this.deps.users.find(t.user);
    if (!owner) return;
    await notifier.notify({
      kind: 'token.leaked',
      at: this.deps.now(),
      owner: { username: owner.username, displayName: owner.displayName, email: owner.email },
      token: { id: t.id, description: t.description, scope: t.scope, expiresAt: t.expiresAt },
      leak: { url: a.url === '' ? null : a.url, source: a.source === '' ? null : a.source },
      revoked: true,
    });
  }
}
