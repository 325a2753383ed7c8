import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Stores settings as JSON text by key. Only explicitly set keys are stored; defaults live in code. */
export class SettingsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async all(): Promise<Record<string, unknown>> {
    const rows = await this.db.selectFrom('settings').select(['key', 'value']).execute();
    const out: Record<string, unknown> = {};
    for (const r of rows) {
      try {
        out[r.key] = JSON.parse(r.value) as unknown;
      } catch {
        // A value that is not JSON is ignored; settingsFromStored falls back to the default.
      }
    }
    return out;
  }

  async put(key: string, value: unknown, at: number, by: string): Promise<void> {
    const text = JSON.stringify(value);
    await this.db
      .insertInto('settings')
      .values({ key, value: text, updated_at: at, updated_by: by })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: at, updated_by: by }))
      .execute();
  }

  /**
   * Stores `value` under `key` unless the key is there already; either way nothing is overwritten. Two
   * processes doing this at once for a new key both end up reading the one value that was stored first.
   */
  async putIfAbsent(key: string, value: unknown, at: number, by: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value: JSON.stringify(value), updated_at: at, updated_by: by })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
}
