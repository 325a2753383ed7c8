import { runCli } from '../../src/cli/main.js';

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
