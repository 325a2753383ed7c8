import type { Kysely } from 'kysely';
import { sql } from './kysely.js';
import type { AuditEvent } from '../domain/audit/audit.js';
import { AuditRepo } from './audit-repo.js';
import { ChangeRepo } from './change-repo.js';
import type { DatabaseHandle, DialectName } from './database.js';
import type { Database } from './schema.js';
import { SessionRepo } from './session-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { StatsRepo } from './stats-repo.js';
import { NodeRepo } from './node-repo.js';
import { TokenRepo } from './token-repo.js';
import { TokenLifecycleRepo } from './token-lifecycle-repo.js';
import { UserRepo } from './user-repo.js';

/**
 * The repositories over one executor: the database, or a transaction. Services do every multi-row
 * change in `transaction`, so a change and its audit record are written together or not at all.
 */
export class Store {
  readonly tokens: TokenRepo;
  readonly users: UserRepo;
  readonly settings: SettingsRepo;
  readonly audit: AuditRepo;
  readonly changes: ChangeRepo;
  readonly sessions: SessionRepo;
  readonly stats: StatsRepo;
  readonly nodes: NodeRepo;
  readonly lifecycle: TokenLifecycleRepo;

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: DialectName,
    private readonly committed: ((events: readonly AuditEvent[]) => void)[] = [],
  ) {
    this.tokens = new TokenRepo(db);
    this.users = new UserRepo(db);
    this.settings = new SettingsRepo(db);
    this.audit = new AuditRepo(db, dialect);
    this.changes = new ChangeRepo(db);
    this.sessions = new SessionRepo(db);
    this.stats = new StatsRepo(db);
    this.nodes = new NodeRepo(db);
    this.lifecycle = new TokenLifecycleRepo(db);
  }

  static from(handle: DatabaseHandle): Store {
    return new Store(handle.db, handle.dialect);
  }

  /** A trivial round trip, for health checks. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /**
   * Hears the audit events of every transaction of this store once it has committed (never those of
   * one that rolled back): a serving node writes a log line for each change (token created, revoked,
   * rotated; settings changed…). A listener must not throw; one that does is ignored.
   */
  onCommitted(listener: (events: readonly AuditEvent[]) => void): void {
    this.committed.push(listener);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.committed.length === 0)
      return this.db.transaction().execute((trx) => fn(new Store(trx, this.dialect)));
    const appended: AuditEvent[] = [];
    const result = await this.db.transaction().execute((trx) => {
      const tx = new Store(trx, this.dialect);
      const append = tx.audit.append.bind(tx.audit);
      tx.audit.append = async (events) => {
        const records = await append(events);
        appended.push(...events);
        return records;
      };
      return fn(tx);
    });
    if (appended.length > 0)
      for (const listener of this.committed) {
        try {
          listener(appended);
        } catch {
          // A listener's fault must not turn a committed change into an error for its caller.
        }
      }
    return result;
  }

  /**
   * Serializes writers that check-then-insert for one user (e.g. `tokens.maxPerUser`). SQLite already
   * serializes write transactions; PostgreSQL takes a row lock on the user.
   */
  async lockUser(username: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await this.db
      .selectFrom('users')
      .select('username')
      .where('username', '=', username)
      .forUpdate()
      .execute();
  }
}
