import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executable, onPath } from './processes.js';

/**
 * A real Git smart-HTTP server for tests: node:http in front of `git http-backend` run as a CGI per
 * request, the way Apache or nginx+fcgiwrap would run it. The gateway under test sits in front and
 * tells the backend who is authenticated through the `x-forwarded-user` header, which becomes the
 * CGI's REMOTE_USER.
 *
 * Git is required: `requireGit()` says why a suite must skip, and under CI=true throws instead.
 * TOKENGATE_TEST_GIT names the git binary when it is not /usr/bin/git or on PATH.
 */

const CI = process.env.CI === 'true';
const GIT_TIMEOUT_MS = 60_000;
/** A CGI that runs longer than this is killed and its request fails. */
const CGI_TIMEOUT_MS = 60_000;

export interface GitTools {
  git: string;
  httpBackend: string;
}

let found: GitTools | null | undefined;

/** git and git-http-backend, or null when either is missing. */
export function findGit(): GitTools | null {
  if (found !== undefined) return found;
  found = null;
  const override = process.env.TOKENGATE_TEST_GIT;
  let gitPath: string | null;
  if (override !== undefined && override !== '') gitPath = executable(override) ? override : null;
  else gitPath = executable('/usr/bin/git') ? '/usr/bin/git' : onPath('git');
  if (gitPath === null) return found;
  const execPath = spawnSync(gitPath, ['--exec-path'], {
    encoding: 'utf8',
    timeout: 10_000,
    env: isolatedEnv(),
  });
  const candidates = [
    ...(execPath.status === 0 ? [join(execPath.stdout.trim(), 'git-http-backend')] : []),
    '/usr/lib/git-core/git-http-backend',
    '/usr/libexec/git-core/git-http-backend',
  ];
  const httpBackend = candidates.find(executable);
  if (httpBackend !== undefined) found = { git: gitPath, httpBackend };
  return found;
}

/** The tools, or why the suite must skip; under CI=true a missing tool throws instead. */
export function requireGit(): GitTools | { skip: string } {
  const tools = findGit();
  if (tools !== null) return tools;
  const why = 'git and git-http-backend are required for the Git smart-HTTP tests';
  if (CI) throw new Error(`CI=true and ${why} but were not found (set TOKENGATE_TEST_GIT or install git)`);
  return { skip: `git or git-http-backend not installed; ${why}` };
}

let home: string | null = null;

/** A throwaway HOME for every git this process runs, so no user or global config leaks in. */
function isolatedHome(): string {
  if (home === null) {
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-git-home-'));
    home = dir;
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return home;
}

/**
 * The environment git runs in: the process's own minus every GIT_* variable (a hook or an outer git
 * could have set GIT_DIR), minus proxies and askpass helpers, with a private HOME and no system config.
 */
function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith('GIT_') || key === 'SSH_ASKPASS' || key === 'XDG_CONFIG_HOME') continue;
    if (/^(https?|all|no)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  const dir = isolatedHome();
  return {
    ...env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ...extra,
  };
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** Defaults to the private HOME, never the process's cwd (which is likely the project's own repository). */
  cwd?: string;
  env?: Record<string, string>;
}

function gitBinary(): string {
  return findGit()?.git ?? 'git';
}

/**
 * Runs git synchronously in an isolated environment (private HOME, no system config, no prompts),
 * for at most 60 s. It blocks the event loop: never use it to talk to a server running in this same
 * process (startGitServer), which could then not answer; use gitAsync for clone, fetch and push.
 */
export function git(args: string[], opts: GitOptions = {}): GitResult {
  const r = spawnSync(gitBinary(), args, {
    cwd: opts.cwd ?? isolatedHome(),
    env: isolatedEnv(opts.env),
    encoding: 'utf8',
    timeout: GIT_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr =
    r.error === undefined ? r.stderr : `${r.stderr}${r.stderr === '' ? '' : '\n'}${r.error.message}`;
  return { code: r.status ?? -1, stdout: r.stdout, stderr };
}

/** git() without blocking the event loop, for talking to an in-process startGitServer. */
export function gitAsync(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn(gitBinary(), args, {
      cwd: opts.cwd ?? isolatedHome(),
      env: isolatedEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: GIT_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | null = null;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      let stderr = Buffer.concat(err).toString('utf8');
      if (spawnError !== null) stderr += `\n${spawnError.message}`;
      if (signal !== null) stderr += `\ngit killed by ${signal} (timeout ${GIT_TIMEOUT_MS} ms?)`;
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

function mustGit(args: string[], opts: GitOptions): void {
  const r = git(args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

const AUTHOR = ['-c', 'user.name=Tokengate Test', '-c', 'user.email=test@tokengate.invalid'];

/**
 * Creates `<root>/<name>.git`, a bare repository with one commit on `main` holding README.md.
 *
 * Push permission follows git-http-backend's `http.receivepack`: left unset (the default), a push is
 * accepted only when the request carries REMOTE_USER, i.e. the gateway set `x-forwarded-user`, and
 * refused with 403 otherwise. `receivePack: true` allows anonymous pushes as well, `false` refuses all.
 */
export async function makeBareRepo(
  root: string,
  name: string,
  opts: { receivePack?: boolean } = {},
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'tokengate-git-work-'));
  const bare = join(root, `${name}.git`);
  try {
    mustGit(['init', '-q', '-b', 'main', work], {});
    await writeFile(join(work, 'README.md'), `# ${name}\n\nA test repository.\n`);
    mustGit(['add', 'README.md'], { cwd: work });
    mustGit([...AUTHOR, 'commit', '-q', '-m', 'Initial commit'], { cwd: work });
    mustGit(['clone', '-q', '--bare', work, bare], {});
    mustGit(['--git-dir', bare, 'symbolic-ref', 'HEAD', 'refs/heads/main'], {});
    if (opts.receivePack !== undefined) {
      mustGit(['--git-dir', bare, 'config', 'http.receivepack', String(opts.receivePack)], {});
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return bare;
}

/** Commits a new (or changed) file in a work tree with the test author; for tests that push. */
export function commitFile(workTree: string, file: string, content: string, message = `add ${file}`): void {
  writeFileSync(join(workTree, file), content);
  mustGit(['add', file], { cwd: workTree });
  mustGit([...AUTHOR, 'commit', '-q', '-m', message], { cwd: workTree });
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface GitServer {
  /** `http://127.0.0.1:<port>`; repositories are at `<url>/<name>.git`. */
  url: string;
  port: number;
  /** Every request that reached this server, in arrival order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Request headers never handed to the CGI as HTTP_* (as Apache does not hand them either). */
const HIDDEN_HEADERS = new Set(['authorization', 'proxy-authorization']);

function cgiEnv(req: http.IncomingMessage, projectRoot: string): Record<string, string> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    SERVER_SOFTWARE: 'tokengate-test-git-server',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  const contentType = req.headers['content-type'];
  if (contentType !== undefined) env.CONTENT_TYPE = contentType;
  const contentLength = req.headers['content-length'];
  if (contentLength !== undefined) env.CONTENT_LENGTH = contentLength;
  const user = req.headers['x-forwarded-user'];
  const remoteUser = Array.isArray(user) ? user[0] : user;
  if (remoteUser !== undefined && remoteUser !== '') {
    env.REMOTE_USER = remoteUser;
    env.AUTH_TYPE = 'Forwarded';
  }
  // HTTP_CONTENT_ENCODING (gzip bodies, which git-http-backend inflates itself), HTTP_GIT_PROTOCOL
  // (protocol v2), and the rest, as any CGI host passes them.
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HIDDEN_HEADERS.has(name)) continue;
    if (name === 'content-type' || name === 'content-length') continue;
    env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = Array.isArray(value) ? value.join(', ') : value;
  }
  return env;
}

/** Splits a CGI's output at the blank line that ends its headers; null until that line has arrived. */
function splitHeaders(buf: Buffer): { head: string; body: Buffer } | null {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return null;
  const [at, len] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  return { head: buf.subarray(0, at).toString('latin1'), body: buf.subarray(at + len) };
}

function parseCgiHead(head: string): { status: number; message: string; headers: [string, string][] } {
  let status = 200;
  let message = 'OK';
  let sawLocation = false;
  let sawStatus = false;
  const headers: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})\s*(.*)$/.exec(value);
      if (m !== null) {
        status = Number(m[1]);
        message = m[2] ?? '';
        sawStatus = true;
      }
      continue;
    }
    if (name.toLowerCase() === 'location') sawLocation = true;
    headers.push([name, value]);
  }
  if (sawLocation && !sawStatus) {
    status = 302;
    message = 'Found';
  }
  return { status, message, headers };
}

function runCgi(
  backend: string,
  projectRoot: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  children: Set<ReturnType<typeof spawn>>,
): void {
  const child = spawn(backend, [], {
    env: isolatedEnv(cgiEnv(req, projectRoot)),
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: CGI_TIMEOUT_MS,
  });
  children.add(child);
  const stderr: Buffer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let headersSent = false;
  let spawnError: Error | null = null;

  const fail = (why: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = `git-http-backend failed: ${why}\n${Buffer.concat(stderr).toString('utf8')}`;
    res.writeHead(502, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  // The CGI may answer (403, 404) without reading its input: an EPIPE then is expected, not an error.
  child.stdin.on('error', () => undefined);
  req.on('error', () => child.kill('SIGKILL'));
  req.pipe(child.stdin);
  res.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  child.on('error', (e) => {
    spawnError = e;
  });

  const onData = (chunk: Buffer): void => {
    pending = Buffer.concat([pending, chunk]);
    const split = splitHeaders(pending);
    if (split === null) return;
    child.stdout.off('data', onData);
    child.stdout.pause();
    headersSent = true;
    const { status, message, headers } = parseCgiHead(split.head);
    res.statusCode = status;
    res.statusMessage = message;
    for (const [name, value] of headers) res.appendHeader(name, value);
    if (split.body.length > 0) res.write(split.body);
    child.stdout.pipe(res, { end: false });
  };
  child.stdout.on('data', onData);

  child.on('close', (code, signal) => {
    children.delete(child);
    if (spawnError !== null) {
      fail(spawnError.message);
    } else if (!headersSent) {
      fail(signal !== null ? `killed by ${signal}` : `exit ${code ?? '?'} before any response headers`);
    } else if (signal !== null) {
      // Killed mid-body (timeout, client gone): a truncated body must not look complete.
      res.destroy();
    } else {
      // Headers are out; a non-zero exit after them (git-http-backend's die() after a 403, say)
      // has already said what it had to say in the body.
      res.end();
    }
  });
}

/**
 * Starts a Git smart-HTTP server on 127.0.0.1 (a free port) serving the bare repositories under
 * projectRoot. `x-forwarded-user` becomes REMOTE_USER; Authorization is never passed to the CGI.
 */
export async function startGitServer(projectRoot: string): Promise<GitServer> {
  const tools = findGit();
  if (tools === null) throw new Error('git-http-backend not found; guard the suite with requireGit()');
  const requests: RecordedRequest[] = [];
  const children = new Set<ReturnType<typeof spawn>>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } });
    runCgi(tools.httpBackend, projectRoot, req, res, children);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      for (const child of children) child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
