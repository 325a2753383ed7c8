/** True for a PostgreSQL connection URL; anything else is a SQLite file path or `:memory:`. */
export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}
