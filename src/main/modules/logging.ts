import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import { changeContext, changeMessage } from '../../audit/change-lines.js';
import type { Settings } from '../../domain/settings.js';
import { effectiveLogStyle, SEED_LOGGER_CATEGORIES } from '../../auth/messages.js';
import { compileLayout, DEFAULT_PATTERN, jsonLayout } from '../../log/layout.js';
import type { LogLevel } from '../../log/levels.js';
import { LogManager } from '../../log/log-manager.js';
import { RotatingFileSink } from '../../log/rotating-file.js';
import { streamSink, type LogSink } from '../../log/sinks.js';
import type { SettingsService } from '../../services/settings-service.js';
import type { Store } from '../../store/store.js';

/** Settings name the root logger `root`; the log manager calls it ''. */
export function toManagerLevels(levels: Record<string, LogLevel>): Record<string, LogLevel> {
  const out: Record<string, LogLevel> = {};
  for (const [name, level] of Object.entries(levels)) out[name === 'root' ? '' : name] = level;
  return out;
}

export interface LoggingOptions {
  /** Extra log sinks, e.g. a memory sink in tests. */
  sinks?: LogSink[];
  thread?: string;
}

/** The log: console and rotating file as configured, plus the given sinks. Stopped last. */
export async function startLogging(
  config: Pick<Config, 'log' | 'nodeId'>,
  opts: LoggingOptions,
): Promise<{ logs: LogManager; stop(): Promise<void> }> {
  const sinks: LogSink[] = [
    ...(config.log.console ? [streamSink(process.stderr)] : []),
    ...(opts.sinks ?? []),
  ];
  if (config.log.file) {
    const file = new RotatingFileSink(join(config.log.dir, 'tokengate.log'), {
      maxBytes: config.log.maxSizeMb * 1024 * 1024,
      maxFiles: config.log.maxFiles,
    });
    await file.open();
    sinks.unshift(file);
  }
  const logs = new LogManager({
    sinks,
    layout: config.log.format === 'json' ? jsonLayout : compileLayout(config.log.pattern ?? DEFAULT_PATTERN),
    // `%t` carries the worker and the node (`main@gate-1:8080`): each node writes its own file, and
    // its id is in every line without adding a field that log-analyzer rules would not expect.
    thread: `${opts.thread ?? 'main'}@${config.nodeId.replace(/\s/g, '_')}`,
    node: config.nodeId,
  });
  return { logs, stop: () => logs.close() };
}

export interface LogSettingsDeps {
  logs: LogManager;
  /** The config file's `log.style`, which wins over the setting. */
  style: Config['log']['style'];
  settings: Pick<SettingsService, 'current' | 'onChange'>;
  store: Pick<Store, 'onCommitted'>;
}

/**
 * Keeps log levels and categories in step with the settings, and gives every change an INFO line
 * under the logger of its category (tokens, users, settings, logging); the records of
 * authentications are the reporter's. Nothing to stop: the subscriptions end with the database.
 */
export function followLogSettings(deps: LogSettingsDeps): { stop(): void } {
  const { logs } = deps;
  const apply = (s: Settings): void => {
    logs.setLevels(toManagerLevels(s['log.levels']));
    logs.setCategories(effectiveLogStyle(deps.style, s) === 'seed' ? SEED_LOGGER_CATEGORIES : {});
  };
  apply(deps.settings.current);
  deps.settings.onChange((snap) => apply(snap.settings));
  deps.store.onCommitted((events) => {
    for (const e of events) {
      if (e.category === 'authentication') continue;
      const log = logs.logger(e.category);
      if (log.isEnabled('INFO')) log.info(changeMessage(e), changeContext(e));
    }
  });
  return { stop: () => undefined };
}
