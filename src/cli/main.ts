import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { auditCommands } from './commands/audit.js';
import { logLevelCommand } from './commands/log-level.js';
import { clusterCommands } from './commands/cluster.js';
import { completionCommand } from './commands/completion.js';
import { initCommand } from './commands/init.js';
import { logStyleCommand } from './commands/log-style.js';
import { loginCommands } from './commands/login.js';
import { serveCommand } from './commands/serve.js';
import { settingsCommands } from './commands/settings.js';
import { tokenCommands } from './commands/token.js';
import { userCommands } from './commands/user.js';
import type { GlobalOptions } from './context.js';
import { EXIT_CODES } from './exit-codes.js';
import { toFailure } from './failure.js';
import {
  OUTPUT_FORMATS,
  outputFormatInArgs,
  processIo,
  quietOnClosedReader,
  reportFailure,
  type Io,
  type OutputFormat,
} from './output.js';

/**
 * Builds the command tree; `io` lets tests capture output. With `-o json` commander's own messages
 * (usage errors, the help a command group prints when run alone) are left out: stderr then carries
 * only the JSON error runCli writes.
 */
export function buildProgram(io: Io, format: OutputFormat = 'table'): Command {
  const output = {
    writeOut: (s: string) => io.out(s.trimEnd()),
    writeErr: format === 'json' ? () => undefined : (s: string) => io.err(s.trimEnd()),
  };
  const program = new Command('tokengate')
    .description('API token authentication for any HTTP service')
    .version(VERSION)
    .option('--config <file>', 'YAML config file (env TOKENGATE_CONFIG)')
    .option('--data-dir <dir>', 'where the SQLite database lives (default ./data, env TOKENGATE_DATA_DIR)')
    .option('--db <url>', 'a SQLite file or postgres:// URL (env TOKENGATE_DB)')
    .option('--server <url>', "remote mode: call this server's management API (env TOKENGATE_SERVER)")
    // Not --token: audit list and audit export filter by token id with --token.
    .option(
      '--api-token <token>',
      'remote mode: the API token (env TOKENGATE_TOKEN; visible in ps, prefer login)',
    )
    .option('--allow-http', 'remote mode: allow an http:// server that is not on loopback')
    .addOption(
      new Option('-o, --output <format>', 'output format: table for people, json for scripts').choices(
        OUTPUT_FORMATS,
      ),
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput(output)
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  serveCommand(program, io, globals);
  initCommand(program, io, globals);
  userCommands(program, io, globals);
  tokenCommands(program, io, globals);
  settingsCommands(program, io, globals);
  auditCommands(program, io, globals);
  logLevelCommand(program, io, globals);
  logStyleCommand(program, io, globals);
  clusterCommands(program, io, globals);
  loginCommands(program, io, globals);
  completionCommand(program, io);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput(output);
  return program;
}

/**
 * Runs the CLI and returns the exit code, one per class of failure (exit-codes.ts). Errors print one
 * clear line, or with `-o json` one JSON object. Each command loads what it needs when it runs (see
 * withApp), so the command tree itself loads little.
 */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  if (io === processIo) quietOnClosedReader();
  const format = outputFormatInArgs(argv);
  const program = buildProgram(io, format);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_CODES.ok;
  } catch (err) {
    const failure = toFailure(err);
    // In table mode commander has printed its own `error: …` line and the hint to use --help.
    if (!(err instanceof CommanderError && format === 'table')) reportFailure(io, format, failure);
    return EXIT_CODES[failure.exitClass];
  }
}
