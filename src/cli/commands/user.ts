import type { Command } from 'commander';
import type { UserChange } from '../../services/user-service.js';
import { confirmDestructive, terminalAsker, yesOption } from '../confirm.js';
import { withBackend, type GlobalOptions } from '../context.js';
import { CliError } from '../exit-codes.js';
import { deprecatedJsonOption, emit, outputFormat, printTable, type Io } from '../output.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `user add`: a person, or with --service a service account. */
function addCommand(user: Command, io: Io, globals: () => GlobalOptions): void {
  user
    .command('add')
    .description('add a user')
    .argument('<username>', 'lower-case letters, digits and . _ @ -')
    .option('--display-name <name>', 'full name')
    .option('-e, --email <address>', 'e-mail address')
    .option('-g, --group <group>', 'add to this group (repeatable)', collect, [])
    .option(
      '--password-stdin',
      'read the password from standard input; without it the user can only use tokens',
    )
    .option('--service', 'a service account: no password, never signs in; for CI jobs and the like')
    .option('--owner-group <group>', "a service account's owning group: its members manage its tokens")
    .action(
      async (
        username: string,
        o: {
          displayName?: string;
          email?: string;
          group: string[];
          passwordStdin?: boolean;
          service?: boolean;
          ownerGroup?: string;
        },
      ) => {
        const password = o.passwordStdin ? await readStdin() : undefined;
        await withBackend(io, globals(), async (backend) => {
          const u = await backend.createUser({
            username,
            groups: o.group,
            ...(o.displayName !== undefined ? { displayName: o.displayName } : {}),
            ...(o.email !== undefined ? { email: o.email } : {}),
            ...(password !== undefined ? { password } : {}),
            ...(o.service ? { serviceAccount: true } : {}),
            ...(o.ownerGroup !== undefined ? { ownerGroup: o.ownerGroup } : {}),
          });
          emit(io, outputFormat(io, globals().output), u, () =>
            io.out(`added ${o.service ? 'service account' : 'user'} ${u.username}`),
          );
        });
      },
    );
}

/** `user set`: changes a user's name, e-mail, groups or password. */
function setCommand(user: Command, io: Io, globals: () => GlobalOptions): void {
  user
    .command('set')
    .description("change a user's name, e-mail, groups or password")
    .argument('<username>')
    .option('--display-name <name>', 'full name')
    .option('-e, --email <address>', 'e-mail address ("" removes it)')
    .option('-g, --group <group>', 'replace the groups with these (repeatable)', collect, [])
    .option('--no-groups', 'remove the user from every group')
    .option('--password-stdin', 'read a new password from standard input')
    .option('--no-password', 'remove the password: the user can then only use tokens')
    .action(
      async (
        username: string,
        o: {
          displayName?: string;
          email?: string;
          group: string[];
          groups: boolean;
          passwordStdin?: boolean;
          password: boolean;
        },
      ) => {
        const change: UserChange = {};
        if (o.displayName !== undefined) change.displayName = o.displayName;
        if (o.email !== undefined) change.email = o.email === '' ? null : o.email;
        if (o.group.length > 0) change.groups = o.group;
        else if (!o.groups) change.groups = [];
        if (o.passwordStdin) change.password = await readStdin();
        else if (!o.password) change.password = null;
        if (Object.keys(change).length === 0)
          throw new CliError('usage', 'usage', 'nothing to change; see tokengate user set --help');
        await withBackend(io, globals(), async (backend) => {
          const u = await backend.updateUser(username, change);
          emit(io, outputFormat(io, globals().output), u, () =>
            io.out(`updated user ${username}: ${Object.keys(change).join(', ')}`),
          );
        });
      },
    );
}

/** `user list`, `user disable`, `user enable` and `user delete`. */
function listAndStateCommands(user: Command, io: Io, globals: () => GlobalOptions): void {
  user
    .command('list')
    .description('list users')
    .addOption(deprecatedJsonOption())
    .action(async (o: { json?: boolean }) => {
      const format = outputFormat(io, globals().output, o.json);
      await withBackend(io, globals(), async (backend) => {
        const users = await backend.listUsers();
        emit(io, format, users, () =>
          printTable(
            io,
            ['USERNAME', 'STATUS', 'GROUPS', 'NAME', 'EMAIL'],
            users.map((u) => [
              u.username,
              u.disabled ? 'disabled' : 'enabled',
              u.groups.join(',') || '-',
              u.displayName,
              u.email ?? '-',
            ]),
          ),
        );
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(name)
      .description(disabled ? 'disable a user; their tokens stop working at once' : 'enable a disabled user')
      .argument('<username>')
      .addOption(yesOption())
      .action(async (username: string, o: { yes?: boolean }) => {
        // Disabling cuts the user off (their tokens stop working); enabling takes nothing away.
        if (disabled)
          await confirmDestructive(
            {
              action: `disable user ${username}`,
              consequence: 'Their password and tokens stop working at once',
            },
            o.yes,
            terminalAsker(io),
          );
        await withBackend(io, globals(), async (backend) => {
          const u = await backend.updateUser(username, { disabled });
          emit(io, outputFormat(io, globals().output), u, () =>
            io.out(`${disabled ? 'disabled' : 'enabled'} user ${username}`),
          );
        });
      });
  }

  user
    .command('delete')
    .description('delete a user and all their tokens')
    .argument('<username>')
    .addOption(yesOption())
    .action(async (username: string, o: { yes?: boolean }) => {
      await confirmDestructive(
        {
          action: `delete user ${username}`,
          consequence: 'All their tokens are deleted with them; this cannot be undone',
        },
        o.yes,
        terminalAsker(io),
      );
      await withBackend(io, globals(), async (backend) => {
        await backend.deleteUser(username);
        emit(io, outputFormat(io, globals().output), { username, deleted: true }, () =>
          io.out(`deleted user ${username}`),
        );
      });
    });
}

export function userCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const user = program.command('user').description('manage the local user directory');
  addCommand(user, io, globals);
  setCommand(user, io, globals);
  listAndStateCommands(user, io, globals);
}
