/**
 * The date formats of a log pattern's `%d{format}`: the letters of Java's SimpleDateFormat that log4j
 * configurations use, and log4j 1.x's named formats. Compiled once; formatting is a loop over fields.
 */

type DateField = (shifted: Date, offsetMinutes: number) => string;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

// English names, as a Java service's default locale writes them (`%d{DATE}`: `22 Sep 2020 …`).
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const month = (d: Date): string => MONTHS[d.getUTCMonth()] ?? '';
const day = (d: Date): string => DAYS[d.getUTCDay()] ?? '';

const DATE_FIELDS: Readonly<Record<string, DateField>> = {
  yyyy: (d) => String(d.getUTCFullYear()).padStart(4, '0'),
  yy: (d) => pad2(d.getUTCFullYear() % 100),
  MMMM: month,
  MMM: (d) => month(d).slice(0, 3),
  MM: (d) => pad2(d.getUTCMonth() + 1),
  dd: (d) => pad2(d.getUTCDate()),
  EEEE: day,
  EEE: (d) => day(d).slice(0, 3),
  HH: (d) => pad2(d.getUTCHours()),
  mm: (d) => pad2(d.getUTCMinutes()),
  ss: (d) => pad2(d.getUTCSeconds()),
  SSS: (d) => pad3(d.getUTCMilliseconds()),
  Z: (_d, offset) => {
    const abs = Math.abs(offset);
    return `${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  },
};

/** log4j 1.x's named formats (matched without regard to case, as log4j does). */
export const NAMED_DATE_FORMATS: Readonly<Record<string, string>> = {
  ISO8601: 'yyyy-MM-dd HH:mm:ss,SSS',
  ABSOLUTE: 'HH:mm:ss,SSS',
  DATE: 'dd MMM yyyy HH:mm:ss,SSS',
};

/** A date format that cannot be compiled; `offset` is where in the format. */
export class DateFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'DateFormatError';
  }
}

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/**
 * Compiles a date format: a name of {@link NAMED_DATE_FORMATS}, or the fields `yyyy yy MMMM MMM MM dd
 * EEEE EEE HH mm ss SSS Z` with anything else literal and `'text'` quoting letters (`''` is one quote).
 * Other letters are an error rather than printed, so that a typo (`hh`, `YYYY`) is noticed at start.
 * `zone` `'local'` prints the process's wall-clock time and offset, read at each call.
 *
 * @throws DateFormatError
 */
export function compileDateFormat(format: string, zone: 'utc' | 'local'): (time: number) => string {
  const named = NAMED_DATE_FORMATS[format.toUpperCase()];
  if (named !== undefined) return compileDateFormat(named, zone);
  const parts: (string | DateField)[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format.charAt(i);
    if (isLetter(c)) {
      let end = i + 1;
      while (format.charAt(end) === c) end++;
      const field = DATE_FIELDS[format.slice(i, end)];
      if (field === undefined) {
        throw new DateFormatError(
          `unknown date field '${format.slice(i, end)}' (known: ${Object.keys(DATE_FIELDS).join(' ')}, ` +
            `or one of the names ${Object.keys(NAMED_DATE_FORMATS).join(', ')})`,
          i,
        );
      }
      parts.push(field);
      i = end;
    } else if (c === "'") {
      const close = format.indexOf("'", i + 1);
      if (close < 0) throw new DateFormatError('unclosed quote in date format', i);
      parts.push(close === i + 1 ? "'" : format.slice(i + 1, close));
      i = close + 1;
    } else {
      parts.push(c);
      i++;
    }
  }
  const local = zone === 'local';
  return (time) => {
    // Shift the instant by the zone offset, then read UTC fields: they are the wall-clock fields.
    const offset = local ? -new Date(time).getTimezoneOffset() : 0;
    const shifted = new Date(time + offset * 60_000);
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : part(shifted, offset);
    return out;
  };
}
