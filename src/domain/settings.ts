/**
 * The runtime settings. The table is src/domain/settings/definitions.ts (one TypeBox schema per key,
 * with its default and help text), its building blocks values.ts, the checking parse.ts, and changes
 * and stored values apply.ts; this module names what the rest of the program uses.
 */
export {
  GROUP_NAME_PATTERN,
  LOG_STYLES,
  LOGGER_NAME_PATTERN,
  MAX_GRACE_SECONDS,
  type GroupList,
  type LogStyle,
} from './settings/values.js';
export { SETTINGS, type SettingKey, type Settings, type SettingSpec } from './settings/definitions.js';
export {
  defaultSettings,
  isSettingKey,
  SETTING_DEFINITIONS,
  settingDefinition,
  type SettingDefinition,
} from './settings/parse.js';
export { applySettingsChange, settingsFromStored, type SettingProblem } from './settings/apply.js';
