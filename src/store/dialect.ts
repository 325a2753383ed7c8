/**
 * The SQL dialects the store runs on. Its own module so that the migrations, which database.ts imports,
 * need not import database.ts back (no import cycle).
 */
export type DialectName = 'sqlite' | 'postgres';
