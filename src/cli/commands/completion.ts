import { Argument, type Command } from 'commander';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from '../completion.js';
import type { Io } from '../output.js';

/**
 * `tokengate completion bash|zsh|fish`: prints a completion script for the shell, generated from
 * the command tree, so a new command or option completes without touching the scripts.
 */
export function completionCommand(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(tokengate completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .action((shell: CompletionShell) => {
      io.out(completionScript(shell, program));
    });
}
