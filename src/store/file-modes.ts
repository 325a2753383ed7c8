import { chmodSync, statSync } from 'node:fs';

/** The data directory and the directories tokengate creates: the service user's only. */
export const PRIVATE_DIR_MODE = 0o700;
/** The database, its -wal and -shm, and the log files: the service user's only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Takes group and other permissions away from an existing file or directory (an older version, or
 * an operator's umask, left it wider). Returns the WARN line to log, or null when nothing changed or
 * the path does not exist. The process umask is never touched: in the middleware it is the host's.
 */
export function restrictMode(path: string, mode: number): string | null {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch {
    return null;
  }
  if ((current & ~mode) === 0) return null;
  chmodSync(path, mode);
  return `${path} was readable by others (mode ${current.toString(8).padStart(4, '0')}); its mode is now ${mode.toString(8).padStart(4, '0')}`;
}
