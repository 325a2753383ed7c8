import type { Command } from 'commander';
import { invalidField } from '../../domain/errors.js';
import { CLI_PRINCIPAL } from '../../domain/auth/permissions.js';
import { LOG_STYLES, type LogStyle } from '../../domain/settings.js';
import { systemContext } from '../../services/context.js';
import { localOnly, withApp, type GlobalOptions } from '../context.js';
import { emit, outputFormat, type Io } from '../output.js';

function isLogStyle(value: string): value is LogStyle {
  return (LOG_STYLES as readonly string[]).includes(value);
}

/**
 * `tokengate log-style [STYLE]`: the `log.style` setting, in the manner of `log-level`. It lives in the
 * database, so a change applies on every node at once, survives restarts and is audited.
 */
export function logStyleCommand(program: Command, io: Io, globals: () => GlobalOptions): void {
  program
    .command('log-style')
    .description(
      'show the style of authentication log lines, or set it on every node (audited): tokengate, or seed for log parsers written for the seed app',
    )
    .argument('[style]', LOG_STYLES.join(' or '))
    .action(async (style: string | undefined) => {
      if (style !== undefined && !isLogStyle(style))
        throw invalidField('style', `"${style}" is not a log style; use one of ${LOG_STYLES.join(', ')}`);
      const format = outputFormat(io, globals().output);
      await localOnly(io, globals(), 'log-style');
      await withApp(io, globals(), async (ctx) => {
        const current = ctx.settings.current['log.style'];
        // A config file's log.style pins the style of the nodes that read it; the setting does not move them.
        const pinned = ctx.config.log.style;
        const note = (): void => {
          if (pinned !== null)
            io.err(
              `note: this configuration pins log.style to ${pinned}; nodes started with it ignore the setting`,
            );
        };
        if (style === undefined) {
          emit(io, format, { style: current, pinned }, () => io.out(current));
          note();
          return;
        }
        await ctx.settings.update(CLI_PRINCIPAL, systemContext(CLI_PRINCIPAL.username), {
          'log.style': style,
        });
        emit(io, format, { key: 'log.style', old: current, new: style }, () =>
          io.out(`log.style: ${current} -> ${style}`),
        );
        note();
      });
    });
}
