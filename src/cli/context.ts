import type { AppContext } from '../app.js';
import type { Backend } from './backend.js';
import { CliError } from './exit-codes.js';
import type { Io, OutputFormat } from './output.js';

/** Global options every command accepts. */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  db?: string;
  /** `-o json|table`; table when not given. */
  output?: OutputFormat;
  /** Remote mode: the server whose management API the command calls (env TOKENGATE_SERVER). */
  server?: string;
  /** Remote mode: the API token (env TOKENGATE_TOKEN); on the command line it is visible in `ps`. */
  apiToken?: string;
  /** Let `--server` be http:// on a host other than loopback. */
  allowHttp?: boolean;
}

/** The global options that are configuration (`--config`, `--data-dir`, `--db`), for loadConfig. */
export function configFlags(g: GlobalOptions): Pick<GlobalOptions, 'config' | 'dataDir' | 'db'> {
  return { config: g.config, dataDir: g.dataDir, db: g.db };
}

export interface WithAppOptions {
  /**
   * Create the database when it does not exist (`init`). Every other command refuses a missing
   * database: a mistyped --data-dir must not quietly start a new, empty one.
   */
  create?: boolean;
}

/**
 * Opens the database for a one-shot command, runs it, and closes the database again. The
 * configuration, the services and the database drivers are imported here, on first use, so that
 * `--help`, `--version` and usage errors never load them.
 */
export async function withApp<T>(
  io: Io,
  globals: GlobalOptions,
  fn: (ctx: AppContext) => Promise<T>,
  opts: WithAppOptions = {},
): Promise<T> {
  const [{ loadConfig }, { consoleLogger }, { bootstrap, openApp }] = await Promise.all([
    import('../config/config.js'),
    import('../log/logger.js'),
    import('../app.js'),
  ]);
  const config = loadConfig(configFlags(globals), process.env, 'cli');
  const log = consoleLogger(config.nodeId, {
    write: (s: string) => (io.err(s), true),
  } as unknown as NodeJS.WritableStream);
  const ctx = await openApp(config, { log, ...(opts.create ? {} : { mustExist: true }) });
  try {
    await bootstrap(ctx, (t) => io.err(t));
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** Where remote commands go: a server's base URL and the token they authenticate with. */
export interface RemoteTarget {
  server: string;
  token: string;
}

/**
 * Remote or local mode, and for remote the server and token: `--server`/`--api-token`, else
 * `TOKENGATE_SERVER`/`TOKENGATE_TOKEN`, else the login `tokengate login` stored (hosts.json). A
 * local flag (`--config`, `--data-dir`, `--db`) means the database here: the stored login is then
 * not used, and `--server` with it is a usage error. Undefined means local mode.
 */
export async function remoteTarget(
  io: Io,
  globals: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RemoteTarget | undefined> {
  const local = globals.config ?? globals.dataDir ?? globals.db;
  if (local !== undefined) {
    if (globals.server !== undefined || globals.apiToken !== undefined)
      throw new CliError(
        'usage',
        'usage',
        '--server and --api-token call a server; --config, --data-dir and --db open a database here: give one or the other',
      );
    return undefined;
  }
  if (globals.apiToken !== undefined)
    io.err(
      'tokengate: warning: a token on the command line is visible to other users (ps) and kept in shell history; use TOKENGATE_TOKEN or tokengate login',
    );
  const server = globals.server ?? nonEmpty(env.TOKENGATE_SERVER);
  const token = globals.apiToken ?? nonEmpty(env.TOKENGATE_TOKEN);
  const [{ hostsFilePath, readLogin }, { serverUrl }] = await Promise.all([
    import('./hosts-file.js'),
    import('./server-url.js'),
  ]);
  const allowHttp = globals.allowHttp === true;
  if (server !== undefined && token !== undefined) return { server: serverUrl(server, allowHttp), token };
  const stored = await readLogin(hostsFilePath(env));
  if (server === undefined && token === undefined) {
    return stored && { server: serverUrl(stored.server, allowHttp), token: stored.token };
  }
  if (server !== undefined) {
    const url = serverUrl(server, allowHttp);
    if (stored !== undefined && serverUrl(stored.server, true) === url)
      return { server: url, token: stored.token };
    throw new CliError(
      'permission',
      'unauthorized',
      `no token for ${url}: run "tokengate login --server ${url}", or set TOKENGATE_TOKEN`,
    );
  }
  if (stored === undefined || token === undefined)
    throw new CliError(
      'usage',
      'usage',
      '--api-token needs a server: give --server, TOKENGATE_SERVER, or log in',
    );
  return { server: serverUrl(stored.server, allowHttp), token };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Runs a management command on the backend the options choose: the server's REST API in remote
 * mode, else the database here (withApp). Both return the same shapes, so the output is the same.
 */
export async function withBackend<T>(
  io: Io,
  globals: GlobalOptions,
  fn: (backend: Backend) => Promise<T>,
): Promise<T> {
  const target = await remoteTarget(io, globals);
  if (target !== undefined) {
    const [{ ApiClient }, { remoteBackend }] = await Promise.all([
      import('./remote-client.js'),
      import('./remote-backend.js'),
    ]);
    return fn(remoteBackend(new ApiClient(target.server, target.token)));
  }
  const { localBackend } = await import('./local-backend.js');
  return withApp(io, globals, (ctx) => fn(localBackend(ctx)));
}

/**
 * For the commands the REST API has no counterpart for (or that are the server itself): refused in
 * remote mode with a usage error (64) that says to run them on the server, never quietly run on a
 * database here instead.
 */
export async function localOnly(io: Io, globals: GlobalOptions, command: string): Promise<void> {
  if ((await remoteTarget(io, globals)) !== undefined)
    throw new CliError(
      'usage',
      'local_only',
      `"tokengate ${command}" works on the database only, not through --server: run it on the server (local mode)`,
    );
}

/**
 * `init` and `serve` create or run this machine's own database: the stored login and the
 * environment do not move them, and `--server`/`--api-token` with them is a usage mistake.
 */
export function refuseRemoteFlags(globals: GlobalOptions, command: string): void {
  if (globals.server !== undefined || globals.apiToken !== undefined)
    throw new CliError(
      'usage',
      'local_only',
      `"tokengate ${command}" runs on this machine's database; --server and --api-token do not apply`,
    );
}
