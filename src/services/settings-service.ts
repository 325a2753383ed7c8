import type { RequestContext } from '../domain/audit/audit.js';
import { AppError, invalidFields } from '../domain/errors.js';
import { compileIpMatcher, type IpMatcher } from '../domain/auth/ip-rules.js';
import { isAdmin, type Principal } from '../domain/auth/permissions.js';
import { compileReadRules, type ReadRules } from '../domain/auth/read-rules.js';
import type { LogLevel } from '../log/levels.js';
import {
  applySettingsChange,
  settingsFromStored,
  type SettingKey,
  type Settings,
} from '../domain/settings.js';
import { makeAudit, type ServiceDeps } from './context.js';

/** Settings plus what is compiled from them once per change, for the request path. */
export interface SettingsSnapshot {
  settings: Settings;
  allowedIps: IpMatcher;
  trustedProxies: IpMatcher;
  readRules: ReadRules;
  /** The prefixes whose well-formed secrets are tokengate tokens: the current one and former ones. */
  tokenPrefixes: ReadonlySet<string>;
}

function compile(settings: Settings): SettingsSnapshot {
  return {
    settings,
    allowedIps: compileIpMatcher(settings['auth.allowedIps']),
    trustedProxies: compileIpMatcher(settings['auth.trustedProxies']),
    readRules: compileReadRules(settings['auth.readRules']),
    tokenPrefixes: new Set([settings['tokens.prefix'], ...settings['tokens.previousPrefixes']]),
  };
}

/** A prefix change keeps the old prefix's tokens working: it joins tokens.previousPrefixes. */
function withPreviousPrefix(before: Settings, change: Record<string, unknown>): Record<string, unknown> {
  const next = change['tokens.prefix'];
  const old = before['tokens.prefix'];
  if (typeof next !== 'string' || next === old || 'tokens.previousPrefixes' in change) return change;
  const previous = before['tokens.previousPrefixes'].filter((p) => p !== next);
  return { ...change, 'tokens.previousPrefixes': previous.includes(old) ? previous : [...previous, old] };
}

/** One `log.level.changed` record per logger whose level changed; null means "inherits its parent". */
function logLevelEvents(before: Record<string, LogLevel>, after: Record<string, LogLevel>) {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .map((logger) => ({
      logger,
      // Own properties only: a logger named "constructor" must not find Object.prototype's.
      old: Object.hasOwn(before, logger) ? (before[logger] ?? null) : null,
      now: Object.hasOwn(after, logger) ? (after[logger] ?? null) : null,
    }))
    .filter((c) => c.old !== c.now)
    .map(({ logger, old, now }) => ({
      category: 'logging' as const,
      action: 'log.level.changed',
      summary: `Log level of ${logger} changed from ${old ?? 'inherited'} to ${now ?? 'inherited'}`,
      details: { logger, oldLevel: old, newLevel: now },
    }));
}

/**
 * Holds the current settings in memory. Reads are synchronous; changes are validated as a whole,
 * written with their audit records in one transaction, and reach other processes through the change feed.
 */
export class SettingsService {
  private snap: SettingsSnapshot = compile(settingsFromStored({}).settings);
  private readonly warn: (msg: string) => void;
  private readonly listeners = new Set<(snap: SettingsSnapshot) => void>();
  /** Reloads the change feed started and that have not finished: close() waits for them. */
  private readonly reloading = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: ServiceDeps,
    warn: (msg: string) => void = () => undefined,
  ) {
    this.warn = warn;
    this.unsubscribe = deps.feed.subscribe((c) => {
      if (c.kind !== 'settings') return;
      const done = this.reload()
        .catch((err: unknown) => this.warn(`settings reload failed: ${String(err)}`))
        .finally(() => this.reloading.delete(done));
      this.reloading.add(done);
    });
  }

  /**
   * Stops following the change feed and waits for the reloads it started. Called before the database
   * closes: a reload still reading then would fail ("the database connection is not open"), as every
   * one-shot command's own change used to, since publishing it starts one.
   */
  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.reloading);
  }

  /** Called with the new snapshot whenever settings change, here or (through the feed) on another node. */
  onChange(listener: (snap: SettingsSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(snap: SettingsSnapshot): void {
    this.snap = snap;
    for (const l of this.listeners) l(snap);
  }

  get snapshot(): SettingsSnapshot {
    return this.snap;
  }

  get current(): Settings {
    return this.snap.settings;
  }

  async reload(): Promise<void> {
    const { settings, ignored } = settingsFromStored(await this.deps.store.settings.all());
    for (const p of ignored)
      this.warn(`stored setting ${p.key} is invalid (${p.message}); using the default`);
    this.publish(compile(settings));
  }

  /** Applies a partial change. Only admins may; every changed key gets an audit record with old and new values. */
  async update(
    principal: Principal,
    ctx: RequestContext,
    change: Record<string, unknown>,
  ): Promise<Settings> {
    if (!isAdmin(principal)) throw new AppError('forbidden', 'changing settings needs the admin group');
    await this.reload();
    const before = this.snap.settings;
    const r = applySettingsChange(before, withPreviousPrefix(before, change));
    if (!r.ok) throw invalidFields(r.problems.map((p) => ({ field: p.key, message: p.message })));
    if (r.changed.length === 0) return before;
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    await this.deps.store.transaction(async (tx) => {
      for (const key of r.changed) await tx.settings.put(key, r.settings[key], now, principal.username);
      await tx.audit.append(
        r.changed.flatMap((key: SettingKey) =>
          key === 'log.levels'
            ? logLevelEvents(before[key], r.settings[key]).map((e) => audit(e))
            : [
                audit({
                  category: 'settings',
                  action: 'settings.changed',
                  summary: `Setting ${key} changed from ${JSON.stringify(before[key])} to ${JSON.stringify(r.settings[key])}`,
                  details: { key, oldValue: before[key], newValue: r.settings[key] },
                }),
              ],
        ),
      );
      await tx.changes.record('settings', ['*'], now);
    });
    this.publish(compile(r.settings));
    this.deps.feed.publish('settings', ['*']);
    return r.settings;
  }
}
