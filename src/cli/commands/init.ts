import type { Command } from 'commander';
import { refuseRemoteFlags, withApp, type GlobalOptions } from '../context.js';
import { emit, outputFormat, type Io } from '../output.js';

/**
 * `tokengate init`: creates the database (the SQLite file and its directory, or tokengate's tables in
 * PostgreSQL), applies the migrations and creates the first admin, printing a generated password
 * once, as `serve` does on its first start. Every other command refuses a database that does not
 * exist yet. On an existing database it applies pending migrations and changes nothing else.
 */
export function initCommand(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description(
      'create the database and the first admin (prints a generated password once); other commands need it',
    )
    .action(async () => {
      refuseRemoteFlags(globals(), 'init');
      const format = outputFormat(io, globals().output);
      const report = (created: boolean, location: string, text: string): void =>
        emit(io, format, { created, location }, () => io.out(text));
      const { MissingDatabaseError } = await import('../../store/database.js');
      try {
        // Without creating first, to tell the operator which it was.
        await withApp(io, globals(), (ctx) => {
          const at = ctx.database.location;
          report(false, at, `the database at ${at} already exists; nothing to create`);
          return Promise.resolve();
        });
        return;
      } catch (err) {
        if (!(err instanceof MissingDatabaseError)) throw err;
      }
      await withApp(
        io,
        globals(),
        (ctx) => {
          report(true, ctx.database.location, `created the database at ${ctx.database.location}`);
          return Promise.resolve();
        },
        { create: true },
      );
    });
}
