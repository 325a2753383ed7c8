import type { Command } from 'commander';
import { AppError } from '../../domain/errors.js';
import { isSettingKey, SETTING_DEFINITIONS, settingDefinition } from '../../domain/settings.js';
import { withBackend, type GlobalOptions } from '../context.js';
import { deprecatedJsonOption, emit, outputFormat, printJson, printTable, type Io } from '../output.js';

/**
 * Turns the command-line text into a value: JSON when it parses (`false`, `10`, `null`, `["a"]`),
 * a comma-separated list for list settings (`10.0.0.0/8,192.168.0.0/16`), else the text itself.
 */
export function parseSettingValue(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (isSettingKey(key) && settingDefinition(key).schema.type === 'array') {
      return text.trim() === '' ? [] : text.split(',').map((s) => s.trim());
    }
    return text;
  }
}

export function settingsCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const settings = program
    .command('settings')
    .description('read and change runtime settings (shared by every node)');

  settings
    .command('get')
    .description('show every setting, or one')
    .argument('[key]', 'a setting key such as auth.basicPasswords')
    .addOption(deprecatedJsonOption())
    .action(async (key: string | undefined, o: { json?: boolean }) => {
      const format = outputFormat(io, globals().output, o.json);
      if (key !== undefined && !isSettingKey(key)) {
        throw new AppError(
          'invalid_request',
          `unknown setting "${key}"; known: ${SETTING_DEFINITIONS.map((d) => d.key).join(', ')}`,
        );
      }
      await withBackend(io, globals(), async (backend) => {
        const current = await backend.settings();
        // One value is JSON in either format: the text a script passes back to `settings set`.
        if (key !== undefined) {
          if (format === 'json') printJson(io, current[key]);
          else io.out(JSON.stringify(current[key]));
          return;
        }
        emit(io, format, current, () =>
          printTable(
            io,
            ['KEY', 'VALUE'],
            SETTING_DEFINITIONS.map((d) => [d.key, JSON.stringify(current[d.key])]),
          ),
        );
      });
    });

  settings
    .command('set')
    .description('change a setting; audited with the old and new value')
    .argument('<key>', 'a setting key')
    .argument('<value>', 'JSON (true, 10, null, ["a","b"]) or plain text; lists may be comma-separated')
    .action(async (key: string, text: string) => {
      await withBackend(io, globals(), async (backend) => {
        const { old: before, new: value } = await backend.setSetting(key, parseSettingValue(key, text));
        emit(io, outputFormat(io, globals().output), { key, old: before, new: value }, () =>
          io.out(`${key}: ${JSON.stringify(before)} -> ${JSON.stringify(value)}`),
        );
      });
    });
}
