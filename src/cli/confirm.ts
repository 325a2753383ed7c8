import { Option } from 'commander';
import { CliError } from './exit-codes.js';
import { processIo, type Io } from './output.js';

/** Where a question can be asked: a person at a terminal, or nobody (a script, a pipe, a test). */
export interface Asker {
  /** True when stdin and stdout are both a terminal: someone is there to answer. */
  interactive: boolean;
  /** Asks on stderr (stdout stays data) and resolves with the line typed, or null at end of input. */
  ask(question: string): Promise<string | null>;
}

/** The process's own terminal. Only the process streams can have someone at them. */
export function terminalAsker(io: Io): Asker {
  return {
    interactive: io === processIo && process.stdin.isTTY && process.stdout.isTTY,
    ask: async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const closed = new Promise<null>((resolve) => rl.once('close', () => resolve(null)));
      try {
        return await Promise.race([rl.question(question), closed]);
      } finally {
        rl.close();
      }
    },
  };
}

/** `-y, --yes`, on every command that destroys or cuts off access. */
export function yesOption(): Option {
  return new Option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)');
}

/** What a destructive command is about to do, e.g. `revoke token tok_…` and `it stops working at once`. */
export interface Destruction {
  action: string;
  consequence: string;
}

/**
 * Asks before a destructive command, as `gh repo delete` does: on a terminal a person confirms with
 * `y`; elsewhere (a script, a pipe, cron) the command needs `--yes`, so that a script never waits for
 * an answer nobody gives, and a command copied into one does not destroy without saying so.
 * Runs before the database is opened: nothing waits on a person while holding it.
 */
export async function confirmDestructive(
  d: Destruction,
  yes: boolean | undefined,
  asker: Asker,
): Promise<void> {
  if (yes === true) return;
  if (!asker.interactive)
    throw new CliError(
      'usage',
      'usage',
      `refusing to ${d.action} without --yes (-y): standard input and output are not a terminal to ask on`,
    );
  const answer = await asker.ask(
    `${d.action[0]?.toUpperCase() ?? ''}${d.action.slice(1)}? ${d.consequence}. [y/N] `,
  );
  if (answer === null || !/^(y|yes)$/i.test(answer.trim()))
    throw new CliError('failed', 'cancelled', `cancelled: did not ${d.action}`);
}
