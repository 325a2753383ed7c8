import { spawnSync } from 'node:child_process';
import { runCli } from '../../src/cli/main.js';

/** The installed binary, which runs the compiled code (build it first: `npx tsc -p tsconfig.build.json`). */
export const BIN = new URL('../../bin/tokengate.js', import.meta.url).pathname;

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * The CLI run in this process against a data directory, with `TOKENGATE_ADMIN_PASSWORD` set for the
 * call only: returns the exit code and what it printed.
 */
export function inProcessCli(adminPassword: string): (dataDir: string, ...args: string[]) => Promise<CliRun> {
  return async (dataDir, ...args) => {
    let out = '';
    let err = '';
    const prev = process.env.TOKENGATE_ADMIN_PASSWORD;
    process.env.TOKENGATE_ADMIN_PASSWORD = adminPassword;
    try {
      const code = await runCli(['--data-dir', dataDir, ...args], {
        out: (t) => (out += `${t}\n`),
        err: (t) => (err += `${t}\n`),
      });
      return { code, out, err };
    } finally {
      if (prev === undefined) delete process.env.TOKENGATE_ADMIN_PASSWORD;
      else process.env.TOKENGATE_ADMIN_PASSWORD = prev;
    }
  };
}

/** How long a run of the installed binary may take before the test gives up on it. */
export const CHILD_TIMEOUT_MS = 60_000;

/** The environment for the installed binary: this process's, with the admin password and `extra`. */
export function binaryEnv(adminPassword: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TOKENGATE_ADMIN_PASSWORD: adminPassword, ...extra };
}

/** Runs the installed binary to completion against a data directory, in `env`. */
export function runBinary(dataDir: string, args: string[], env: NodeJS.ProcessEnv, input?: string): CliRun {
  const r = spawnSync(process.execPath, [BIN, '--data-dir', dataDir, ...args], {
    input,
    encoding: 'utf8',
    env,
    timeout: CHILD_TIMEOUT_MS,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/**
 * The installed binary run in a child process against a data directory, with
 * `TOKENGATE_ADMIN_PASSWORD` set: returns the exit code and what it printed.
 */
export function installedCli(
  adminPassword: string,
): (dataDir: string, args: string[], input?: string) => CliRun {
  return (dataDir, args, input) => runBinary(dataDir, args, binaryEnv(adminPassword), input);
}
