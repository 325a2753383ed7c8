/** The database could not be reached or opened at start-up; the message names where, without credentials. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/**
 * `mustExist` was asked and tokengate has not created a database there (a mistyped data directory,
 * an empty PostgreSQL database). `location` is the absolute file path or the URL without credentials.
 */
export class MissingDatabaseError extends DatabaseOpenError {
  override name = 'MissingDatabaseError';
  constructor(
    readonly location: string,
    message: string,
  ) {
    super(message);
  }
}
