import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './exit-codes.js';

/** The server and token `tokengate login` stored. */
export interface StoredLogin {
  server: string;
  token: string;
}

/** Group and others: a token file any of whose bits they hold is refused. */
const NOT_OWNER_BITS = 0o077;

/** `$XDG_CONFIG_HOME/tokengate/hosts.json`, by default `~/.config/tokengate/hosts.json`, as gh keeps its hosts. */
export function hostsFilePath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(env.HOME ?? homedir(), '.config');
  return join(base, 'tokengate', 'hosts.json');
}

/**
 * The stored login, or undefined when there is none. A file others may read or change (mode 0644, a
 * group bit, another owner, a symbolic link) is refused rather than used: its token may be known to
 * them, or swapped for theirs. Configuration class (78), with the command that repairs it.
 */
export async function readLogin(path: string): Promise<StoredLogin | undefined> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const unsafe = (why: string) =>
    new CliError(
      'config',
      'config',
      `refusing to use ${path}: ${why}; run "chmod 600 ${path}", or "tokengate logout" and log in again`,
    );
  if (!st.isFile()) throw unsafe('it is not a regular file');
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw unsafe('it belongs to another user');
  if ((st.mode & NOT_OWNER_BITS) !== 0)
    throw unsafe(`its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}, readable by others`);
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<StoredLogin> | null;
  if (typeof parsed?.server !== 'string' || typeof parsed.token !== 'string')
    throw new CliError('config', 'config', `${path} holds no server and token; run "tokengate login" again`);
  return { server: parsed.server, token: parsed.token };
}

/**
 * Stores the login: the directory 0700, the file 0600, written beside and renamed into place, so a
 * reader never sees half a file and the token is never in a file with a wider mode.
 */
export async function writeLogin(path: string, login: StoredLogin): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Removes the stored login; false when there was none. */
export async function removeLogin(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
