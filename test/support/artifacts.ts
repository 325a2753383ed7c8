import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppContext } from '../../src/app.js';
import type { AuditPosition } from '../../src/store/audit-repo.js';

/**
 * The whole suite's secrets check (scripts/scan-secrets.mjs). While scripts/run-tests.mjs sets
 * TOKENGATE_TEST_ARTIFACTS to a directory, test support code appends there every secret a test issues
 * or sends (tokens, passwords, Authorization values) and everything tokengate produced that a person
 * or a machine may read later (log files, audit records, error bodies, metrics). After the run the
 * scanner fails if any secret appears in any artifact. Without the variable nothing is recorded.
 *
 * Each test file runs in its own process, so each process appends to files of its own.
 */
const DIR = process.env.TOKENGATE_TEST_ARTIFACTS ?? '';
export const collecting = DIR.length > 0;

export type SecretKind = 'token' | 'password' | 'authorization';
export type ArtifactKind = 'log' | 'audit' | 'error-body' | 'metrics';

const recorded = new Set<string>();

/** Lines not yet written, per file: a test may make this process's writes fail on purpose (EFBIG). */
const pending = new Map<string, string[]>();

/** Appends, keeping what cannot be written now for the next call or the process's exit. */
function append(file: string, text: string): void {
  const queue = pending.get(file) ?? [];
  queue.push(text);
  pending.set(file, queue);
  flushPending();
}

function flushPending(): void {
  for (const [file, queue] of pending) {
    try {
      appendFileSync(join(DIR, file), queue.join(''));
      pending.delete(file);
    } catch {
      // Kept for later: the next record or the exit handler tries again.
    }
  }
}

if (collecting) process.on('exit', flushPending);

/** Remembers a secret a test issued or sent. */
export function recordSecret(kind: SecretKind, value: string): void {
  if (!collecting || value.length === 0 || recorded.has(value)) return;
  recorded.add(value);
  append(`secrets-${process.pid}.jsonl`, `${JSON.stringify({ kind, value })}\n`);
}

/** An `Authorization` value a test sent: the value itself, and its Basic secret when it has one. */
export function recordAuthorization(value: string): void {
  if (!collecting) return;
  recordSecret('authorization', value);
  const basic = /^Basic (.+)$/i.exec(value);
  if (basic?.[1]) {
    recordSecret('authorization', basic[1]);
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) recordSecret('password', decoded.slice(colon + 1));
  }
  const bearer = /^Bearer (.+)$/i.exec(value);
  if (bearer?.[1]) recordSecret('token', bearer[1]);
}

/** Appends one artifact, under a header line naming where it came from (the header holds no secret). */
export function recordArtifact(kind: ArtifactKind, source: string, text: string): void {
  if (!collecting || text.length === 0) return;
  append(`${kind}-${process.pid}.txt`, `\n=== ${source} ===\n${text}\n`);
}

/** Every file in a log directory (tokengate.log and its rotations), as one artifact each. */
export function recordLogDir(source: string, dir: string): void {
  if (!collecting || !existsSync(dir)) return;
  for (const name of readdirSync(dir))
    recordArtifact('log', `${source} ${name}`, readFileSync(join(dir, name), 'utf8'));
}

/** Every audit record of a context, as JSON lines (flush its queue first). */
export async function recordAudit(source: string, ctx: AppContext): Promise<void> {
  if (!collecting) return;
  const rows: string[] = [];
  let after: AuditPosition | undefined;
  for (;;) {
    const page = await ctx.store.audit.search({}, 1000, after);
    for (const r of page) rows.push(JSON.stringify(r));
    const last = page.at(-1);
    if (page.length < 1000 || !last) break;
    after = last;
  }
  recordArtifact('audit', source, rows.join('\n'));
}

/**
 * Records the secrets a context's services issue and check: every token created (through the service
 * or the API, which calls the same instance), every new secret of a rotation, every password set, and every password tried.
 */
export function watchContext(ctx: AppContext): void {
  if (!collecting) return;
  if (ctx.config.adminPassword) recordSecret('password', ctx.config.adminPassword);
  const tokens = ctx.tokens;
  const create = tokens.create.bind(tokens);
  tokens.create = async (...args) => {
    const r = await create(...args);
    recordSecret('token', r.token);
    return r;
  };
  const rotate = tokens.rotate.bind(tokens);
  tokens.rotate = async (...args) => {
    const r = await rotate(...args);
    recordSecret('token', r.token);
    return r;
  };
  const users = ctx.users;
  const addUser = users.create.bind(users);
  users.create = (p, c, input) => {
    if (input.password) recordSecret('password', input.password);
    return addUser(p, c, input);
  };
  const update = users.update.bind(users);
  users.update = (p, c, name, change) => {
    if (change.password) recordSecret('password', change.password);
    return update(p, c, name, change);
  };
  const changeOwn = users.changeOwnPassword.bind(users);
  users.changeOwnPassword = (p, c, password, proveCurrent) => {
    recordSecret('password', password);
    return changeOwn(p, c, password, proveCurrent);
  };
  const verify = users.verifyPassword.bind(users);
  users.verifyPassword = (name, password) => {
    recordSecret('password', password);
    return verify(name, password);
  };
}

/** Records the body of every error answer (4xx, 5xx) that `fetch` receives in this process. */
function watchFetch(): void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const auth = headers.get('authorization');
    if (auth) recordAuthorization(auth);
    const res = await original(input, init);
    const length = Number(res.headers.get('content-length') ?? '-1');
    if (res.status >= 400 && length > 0 && length < 1_000_000) {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      // The header names the path, with anything long enough to be a secret cut out of it.
      const path = new URL(url).pathname.replace(/[A-Za-z0-9+/=_-]{16,}/g, '…').slice(0, 80);
      res
        .clone()
        .text()
        .then(
          (text) => recordArtifact('error-body', `${res.status} ${path}`, text),
          () => undefined,
        );
    }
    return res;
  };
}

if (collecting) watchFetch();
