import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';

/*
 * Why Kysely is loaded with require, and only here. Kysely's ES module build is 263 files, and Node
 * 20's ES module loader spends about twice as long per file as its CommonJS loader: 105-120 ms of a
 * one-shot CLI command's start-up against 60-70 ms for the same package's CommonJS build (see
 * docs/benchmarks.md, CLI start-up). The package ships both builds, and its exports map offers no
 * smaller entry point. Loading both builds in one process would give two copies of every class
 * (Kysely, CompiledQuery, the dialects), and a value of one copy is not an instance of the other's;
 * so every runtime import of Kysely in tokengate (src, tests, benchmarks) comes from this module,
 * which test/kysely-loader.test.ts checks. Types stay type-only imports of 'kysely' (erased at build),
 * and the values below carry exactly the package's types.
 */
const kysely = createRequire(import.meta.url)('kysely') as typeof KyselyModule;

export const { sql, CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect } = kysely;

/** The class's instance type under the same name as the value, so `Kysely<DB>` works as with the package. */
export type Kysely<DB> = KyselyModule.Kysely<DB>;
export type CompiledQuery<O = unknown> = KyselyModule.CompiledQuery<O>;
