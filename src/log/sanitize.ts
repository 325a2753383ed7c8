/**
 * What a log record may contain: secrets masked, control characters escaped so that nothing a caller
 * passes starts a line of its own, errors described with their causes. Every layout runs its output
 * through these.
 */

/** Continuation lines (of a multi-line message or an error's stack) start with this, never with a date. */
export const CONTINUATION_INDENT = '    ';

const MAX_CAUSES = 5;

// ---------------------------------------------------------------------------------------------------
// Secret redaction

// `(?<![0-9A-Za-z])` rather than `\b`: `_` is a word character, so `\b` would miss a token glued to one.
const TOKEN_PATTERN = /(?<![0-9A-Za-z])([a-z][a-z0-9]{1,15})_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;

// An `Authorization` header value, with or without its scheme, or a `Basic`/`Bearer` credential anywhere.
// The value stops at quotes and backslashes so that redacting inside a JSON record keeps it valid JSON.
// The look-ahead spares prose such as "basic auth with password is disabled" or `Basic realm="x"`.
const CREDENTIAL_PATTERN =
  /\b(authorization["'\\]*\s*[:=]\s*["'\\]*(?:(?:basic|bearer|token)\s+)?|(?:basic|bearer)\s+(?!(?:auth|authentication|authorization|tokens?|realm|schemes?|credentials?|headers?|and|or)\b))[^\s"'\\,;]+/gi;

/**
 * Masks anything that looks like a tokengate token (`tgp_***`) or an HTTP credential (`Basic ***`,
 * `Bearer ***`, `Authorization: ***`).
 *
 * A last line of defence, not the primary mechanism: code must never put a secret into a log message
 * in the first place. This only limits the damage when it does; it cannot recognise every secret.
 */
export function redactSecrets(text: string): string {
  return text.replace(TOKEN_PATTERN, '$1_***').replace(CREDENTIAL_PATTERN, '$1***');
}

// ---------------------------------------------------------------------------------------------------
// Control characters: nothing a caller passes may start a line that looks like a record of its own.

/* eslint-disable no-control-regex -- finding control characters is the point of these two patterns */
const LINE_BREAK_OR_CONTROL = /\r\n?|[\u0000-\u0008\u000a-\u001f\u007f]/g;
const ANY_CONTROL = /[\u0000-\u001f\u007f]/g;
/* eslint-enable no-control-regex */

function escapeControl(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Multi-line text: line breaks become indented continuation lines, other controls are escaped. */
export function indentLines(text: string): string {
  return text.replace(LINE_BREAK_OR_CONTROL, (c) =>
    c === '\n' || c === '\r' || c === '\r\n' ? `\n${CONTINUATION_INDENT}` : escapeControl(c),
  );
}

/** One field of a line: every control character, line breaks included, is escaped. */
export function singleLine(text: string): string {
  return text.replace(ANY_CONTROL, escapeControl);
}

function describeOne(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/** The stack of an error and of its causes, or `String(err)`; never throws. */
export function describeError(err: unknown): string {
  try {
    let text = describeOne(err);
    let cause = err instanceof Error ? err.cause : undefined;
    for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
      text += '\nCaused by: ' + describeOne(cause);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    return text;
  } catch {
    return '<unprintable error>';
  }
}
