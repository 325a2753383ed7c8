/**
 * The logger category conversions of a log pattern: log4j's `%c{…}` and Atlassian's `%q{N}`. A
 * category is a dotted name (`auth.filter`, `de.resolution.apitokenauth.platform.auth.ApiTokenRateLimiter`).
 * Each option is parsed once into a function; the few names a process logs under are remembered.
 */

/** Shortens a category name. */
export type Abbreviation = (category: string) => string;

/** Distinct categories remembered per conversion; a process has a few dozen loggers. */
const MAX_REMEMBERED = 256;

function remembered(abbreviate: Abbreviation): Abbreviation {
  const seen = new Map<string, string>();
  return (category) => {
    let out = seen.get(category);
    if (out === undefined) {
      out = abbreviate(category);
      if (seen.size < MAX_REMEMBERED) seen.set(category, out);
    }
    return out;
  };
}

/** `%c{N}` (log4j 1.x and 2): the rightmost N components; `%c{-N}` (log4j 2): all but the leftmost N. */
function byCount(n: number): Abbreviation {
  return (category) => {
    const parts = category.split('.');
    if (n > 0) return parts.length <= n ? category : parts.slice(parts.length - n).join('.');
    return parts.length <= -n ? category : parts.slice(-n).join('.');
  };
}

interface Fragment {
  /** Characters kept of a component. */
  keep: number;
  /** Appended to a component that was shortened ('' for none). */
  ellipsis: string;
}

// One fragment of a log4j 2 abbreviation pattern: a count (or `*`, all) and an optional ellipsis character.
const FRAGMENT = /^([*]|[0-9])?([^.0-9*])?$/;

/**
 * `%c{1.}`, `%c{1.1.~}`, `%c{1.2.*}` (log4j 2's pattern abbreviation): the i-th fragment shortens the
 * i-th component, the last fragment the rest; the last component (the class) is never shortened.
 * Returns null for an option that is not such a pattern.
 */
function byPattern(option: string): Abbreviation | null {
  const texts = option.split('.');
  if (texts.length > 1 && texts.at(-1) === '') texts.pop();
  const fragments: Fragment[] = [];
  for (const text of texts) {
    const m = FRAGMENT.exec(text);
    if (m === null) return null;
    const count = m[1];
    fragments.push({
      keep: count === undefined ? 0 : count === '*' ? Infinity : Number(count),
      ellipsis: m[2] ?? '',
    });
  }
  return (category) => {
    const parts = category.split('.');
    for (let i = 0; i < parts.length - 1; i++) {
      const f = fragments[Math.min(i, fragments.length - 1)];
      const part = parts[i];
      if (f !== undefined && part !== undefined && part.length > f.keep) {
        parts[i] = part.slice(0, f.keep) + f.ellipsis;
      }
    }
    return parts.join('.');
  };
}

/**
 * `%c` and `%c{option}`: the category whole, its rightmost N components (`2`), all but the leftmost N
 * (`-2`), or a log4j 2 abbreviation pattern (`1.`). Returns the reason for an option it cannot read.
 */
export function categoryConversion(option: string | undefined): Abbreviation | string {
  if (option === undefined) return (category) => category;
  if (/^-?[0-9]+$/.test(option)) {
    const n = Number(option);
    if (n === 0 || !Number.isSafeInteger(n)) return 'must be a number of components other than 0';
    return remembered(byCount(n));
  }
  const pattern = option.includes('.') ? byPattern(option) : null;
  if (pattern === null) {
    return (
      'is not a category option: use a number of components ({2}: the last two, ' +
      `{-2}: all but the first two) or a log4j 2 abbreviation pattern such as {1.}`
    );
  }
  return remembered(pattern);
}

/**
 * `%q{N}` (Atlassian's Jira layouts): every package component except the last N is cut to its first
 * letter; the last component (the class) is always whole. `%q{2}` of `com.atlassian.jira.web.Foo` is
 * `c.a.jira.web.Foo`, of `auth.filter` is `auth.filter`. Without an option: the category whole, as `%c`.
 * Returns the reason for an option other than a number.
 */
export function atlassianCategoryConversion(option: string | undefined): Abbreviation | string {
  if (option === undefined) return (category) => category;
  if (!/^[0-9]+$/.test(option) || !Number.isSafeInteger(Number(option))) {
    return 'must be the number of package components kept whole, e.g. %q{2}';
  }
  const keep = Number(option);
  return remembered((category) => {
    const parts = category.split('.');
    const cut = parts.length - 1 - keep;
    return parts.map((part, i) => (i < cut ? part.charAt(0) : part)).join('.');
  });
}
