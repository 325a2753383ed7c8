import type { Command } from 'commander';
import { CliError } from '../exit-codes.js';
import type { GlobalOptions } from '../context.js';
import { emit, outputFormat, processIo, type Io } from '../output.js';

/** GET /me's answer, the part login reports. */
interface Me {
  user: { username: string };
  authenticatedWith: string;
}

/**
 * The token for `login`: `--token-stdin` or a pipe reads standard input (as `gh auth login
 * --with-token`), a terminal asks without echo; `--api-token`/TOKENGATE_TOKEN work but the flag warns
 * (context.ts), as `docker login -p` does.
 */
async function loginToken(io: Io, globals: GlobalOptions, tokenStdin: boolean | undefined): Promise<string> {
  if (tokenStdin === true || (globals.apiToken === undefined && !process.stdin.isTTY)) {
    const { readSecretLine } = await import('../secret-input.js');
    return readSecretLine();
  }
  if (globals.apiToken !== undefined) {
    io.err(
      'tokengate: warning: a token on the command line is visible to other users (ps) and kept in shell history; use --token-stdin',
    );
    return globals.apiToken;
  }
  if (io !== processIo)
    throw new CliError('usage', 'usage', 'give the token on standard input (--token-stdin)');
  const { promptSecret } = await import('../secret-input.js');
  return promptSecret('API token: ');
}

/** `tokengate login` and `tokengate logout`: the stored server and token of remote mode. */
export function loginCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('login')
    .description(
      'check a token against a server and store both (~/.config/tokengate/hosts.json, mode 0600) for remote mode',
    )
    .option('--token-stdin', 'read the token from standard input')
    .action(async (o: { tokenStdin?: boolean }) => {
      const g = globals();
      const server = g.server ?? process.env.TOKENGATE_SERVER;
      if (server === undefined || server === '')
        throw new CliError('usage', 'usage', 'login needs --server URL (or TOKENGATE_SERVER)');
      const [{ serverUrl }, { ApiClient }, { hostsFilePath, writeLogin }] = await Promise.all([
        import('../server-url.js'),
        import('../remote-client.js'),
        import('../hosts-file.js'),
      ]);
      const url = serverUrl(server, g.allowHttp === true);
      const token = await loginToken(io, g, o.tokenStdin);
      if (token === '') throw new CliError('usage', 'usage', 'no token given');
      const me = await new ApiClient(url, token).call<Me>({ method: 'GET', path: '/me' });
      const path = hostsFilePath(process.env);
      await writeLogin(path, { server: url, token });
      emit(io, outputFormat(io, g.output), { server: url, user: me.user.username, file: path }, () =>
        io.err(`logged in to ${url} as ${me.user.username} (stored in ${path})`),
      );
    });

  program
    .command('logout')
    .description('remove the stored server and token')
    .action(async () => {
      const { hostsFilePath, removeLogin } = await import('../hosts-file.js');
      const path = hostsFilePath(process.env);
      const removed = await removeLogin(path);
      emit(io, outputFormat(io, globals().output), { removed, file: path }, () =>
        io.err(removed ? `logged out: removed ${path}` : `not logged in (no ${path})`),
      );
    });
}
