/**
 * Start-up configuration, the public names: the declarations of the config file's keys are in
 * schema.ts, their readers in readers.ts, and the precedence defaults < file < env < flags in load.ts.
 */
export { ConfigError } from './readers.js';
export type { Config, ConfigFlags } from './schema.js';
export { loadConfig } from './load.js';
