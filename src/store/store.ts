import { sql, type Kysely } from 'kysely';
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

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new Store(trx, this.dialect)));
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
