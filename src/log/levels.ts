// The levels are declared in domain/ (domain/settings.ts validates them, and domain/ imports only
// domain/); re-exported here for the logging code.
export * from '../domain/log-level.js';
