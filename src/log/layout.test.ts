import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateToken } from '../domain/token/format.js';
import {
  CONTINUATION_INDENT,
  DEFAULT_PATTERN,
  LayoutError,
  compileLayout,
  jsonLayout,
  redactSecrets,
} from './layout.js';
import type { LogEvent } from './layout.js';
import { LOG_LEVELS, isLogLevel, parseLogLevel, severity } from './levels.js';

/** 2020-09-22 15:20:50,922 UTC, the seed's first example. */
const SEED_TIME = Date.UTC(2020, 8, 22, 15, 20, 50, 922);

function event(overrides: Partial<LogEvent> = {}): LogEvent {
  return {
    time: SEED_TIME,
    level: 'INFO',
    logger: 'auth',
    thread: 'main',
    message: 'hello',
    ctx: undefined,
    ...overrides,
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const body = (n: number): string => Array.from({ length: n }, (_, i) => BASE62.charAt((i * 7) % 62)).join('');

describe('levels', () => {
  it('lists the levels least severe first, with increasing severity', () => {
    assert.deepEqual(LOG_LEVELS, ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF']);
    for (let i = 1; i < LOG_LEVELS.length; i++) {
      const [a, b] = [LOG_LEVELS[i - 1], LOG_LEVELS[i]];
      assert.ok(a !== undefined && b !== undefined && severity(a) < severity(b), `${a} < ${b}`);
    }
  });

  it('parses level names case-insensitively and rejects others', () => {
    assert.equal(parseLogLevel('debug'), 'DEBUG');
    assert.equal(parseLogLevel(' Warn '), 'WARN');
    assert.equal(parseLogLevel('off'), 'OFF');
    assert.equal(parseLogLevel('warning'), null);
    assert.equal(parseLogLevel(''), null);
    assert.equal(isLogLevel('INFO'), true);
    assert.equal(isLogLevel('info'), false);
    assert.equal(isLogLevel(2), false);
  });
});

describe('compileLayout, default pattern', () => {
  const layout = compileLayout(DEFAULT_PATTERN);

  it("reproduces the seed's line shape exactly", () => {
    const line = layout(
      event({
        message: 'Found a matching token "API Token from 2020-09-22" with Read & Write scope.',
        ctx: { username: 'admin', requestId: '920x447x1', ip: '203.0.113.7', url: '/rest/api/2/myself' },
      }),
    );
    assert.equal(
      line,
      '2020-09-22 15:20:50,922+0000 main INFO admin 920x447x1 - 203.0.113.7 /rest/api/2/myself [auth] ' +
        'Found a matching token "API Token from 2020-09-22" with Read & Write scope.\n',
    );
  });

  it('prints placeholders for missing context values', () => {
    assert.equal(layout(event()), '2020-09-22 15:20:50,922+0000 main INFO anonymous - - - - [auth] hello\n');
    assert.equal(
      layout(event({ level: 'WARN', ctx: { username: '', sessionId: '1gs98du' } })),
      '2020-09-22 15:20:50,922+0000 main WARN anonymous - 1gs98du - - [auth] hello\n',
    );
  });

  it('pads every date field', () => {
    const line = layout(event({ time: Date.UTC(2021, 0, 2, 3, 4, 5, 6) }));
    assert.ok(line.startsWith('2021-01-02 03:04:05,006+0000 '), line);
  });
});

describe('compileLayout, custom patterns', () => {
  it('prints the fields it is given, and ends the record with a newline when the pattern has none', () => {
    const layout = compileLayout('%p [%c] %t: %m');
    assert.equal(layout(event({ level: 'ERROR' })), 'ERROR [auth] main: hello\n');
  });

  it('prints %% as a percent sign and keeps braces after it literal', () => {
    assert.equal(compileLayout('100%% %m%n')(event()), '100% hello\n');
    assert.equal(compileLayout('%%{x} %m')(event()), '%{x} hello\n');
  });

  it('keeps a %n in the middle and adds no second newline for a trailing one', () => {
    assert.equal(compileLayout('%p%n%m%n')(event()), 'INFO\nhello\n');
  });

  it('uses the default date format for a bare %d', () => {
    assert.equal(compileLayout('%d %m')(event()), '2020-09-22 15:20:50,922+0000 hello\n');
  });

  it('supports custom date formats with quoted literals', () => {
    const layout = compileLayout("%d{yyyy-MM-dd'T'HH:mm:ss.SSS}Z|%d{dd/MM ''}");
    assert.equal(layout(event()), "2020-09-22T15:20:50.922Z|22/09 '\n");
  });

  it("maps Jira's context keys to the same values as tokengate's", () => {
    const ctx = { username: 'bob', requestId: 'r1', sessionId: 's1', ip: '203.0.113.9', url: '/x' };
    const ours = compileLayout('%X{username}|%X{request.id}|%X{session.id}|%X{ipaddr}|%X{url}');
    const jira = compileLayout(
      '%X{jira.username}|%X{jira.request.id}|%X{jira.request.assession.id}|%X{jira.request.ipaddr}|%X{jira.request.url}',
    );
    assert.equal(ours(event({ ctx })), 'bob|r1|s1|203.0.113.9|/x\n');
    assert.equal(jira(event({ ctx })), 'bob|r1|s1|203.0.113.9|/x\n');
    assert.equal(jira(event()), 'anonymous|-|-|-|-\n');
  });

  describe('local time zone', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('prints wall-clock time and the offset of the zone', () => {
      const layout = compileLayout('%d', { timeZone: 'local' });
      process.env.TZ = 'Asia/Kolkata';
      assert.equal(layout(event()), '2020-09-22 20:50:50,922+0530\n');
      process.env.TZ = 'America/Los_Angeles';
      assert.equal(layout(event()), '2020-09-22 08:20:50,922-0700\n');
    });

    it('ignores the process zone by default', () => {
      process.env.TZ = 'Asia/Kolkata';
      assert.equal(compileLayout('%d')(event()), '2020-09-22 15:20:50,922+0000\n');
    });
  });
});

/** The seed's log4j ConversionPattern, from its documentation's log4j.properties example. */
const SEED_CONVERSION_PATTERN =
  '%d{yyyy-MM-dd HH:mm:ss,SSSZ} %t %p %X{jira.username} %X{jira.request.id} %X{jira.request.assession.id} ' +
  '%X{jira.request.ipaddr} %X{jira.request.url} [%q{2}] %m%n';
const SHARED_BASE = 'de.resolution.apitokenauth.platform.auth.ApiTokenAuthSharedBase';

describe("compileLayout, the seed's ConversionPattern", () => {
  const seedEvent = event({
    logger: SHARED_BASE,
    thread: 'http-nio-8080-exec-11',
    message:
      'Found a matching token "API Token from 2020-09-22" with Read & Write scope and authenticated user admin.',
    ctx: {
      requestId: '920x447x1',
      ip: '203.0.113.9',
      url: '/rest/de.resolution.apitokenauth/latest/user/token',
    },
  });

  it("renders the seed's line shape, the category abbreviated as the seed's lines show it", () => {
    assert.equal(
      compileLayout(SEED_CONVERSION_PATTERN)(seedEvent),
      '2020-09-22 15:20:50,922+0000 http-nio-8080-exec-11 INFO anonymous 920x447x1 - 203.0.113.9 ' +
        '/rest/de.resolution.apitokenauth/latest/user/token [d.r.a.platform.auth.ApiTokenAuthSharedBase] ' +
        'Found a matching token "API Token from 2020-09-22" with Read & Write scope and authenticated user admin.\n',
    );
  });

  it('prints the same lines as the default pattern, for seed categories and short names alike', () => {
    const seed = compileLayout(SEED_CONVERSION_PATTERN);
    const ours = compileLayout(DEFAULT_PATTERN);
    for (const logger of [SHARED_BASE, 'auth.filter', 'auth', 'ratelimit']) {
      assert.equal(seed({ ...seedEvent, logger }), ours({ ...seedEvent, logger }), logger);
    }
    assert.ok(DEFAULT_PATTERN.includes(' [%q{2}] '), DEFAULT_PATTERN);
  });
});

describe('compileLayout, categories', () => {
  const render = (pattern: string, logger: string): string =>
    compileLayout(pattern)(event({ logger })).trimEnd();

  it('%c prints the category whole, %c{N} its rightmost N components (log4j 1.x)', () => {
    assert.equal(render('%c', SHARED_BASE), SHARED_BASE);
    assert.equal(render('%c{1}', SHARED_BASE), 'ApiTokenAuthSharedBase');
    assert.equal(render('%c{2}', SHARED_BASE), 'auth.ApiTokenAuthSharedBase');
    assert.equal(render('%c{2}', 'auth.filter'), 'auth.filter');
    assert.equal(render('%c{2}', 'auth'), 'auth');
    assert.equal(render('%c{1}', 'auth.filter'), 'filter');
  });

  it("accepts log4j 2's %c{-N} and abbreviation patterns", () => {
    assert.equal(render('%c{-2}', SHARED_BASE), 'apitokenauth.platform.auth.ApiTokenAuthSharedBase');
    assert.equal(render('%c{-2}', 'auth.filter'), 'auth.filter');
    assert.equal(render('%c{1.}', SHARED_BASE), 'd.r.a.p.a.ApiTokenAuthSharedBase');
    assert.equal(render('%c{1.1.~}', SHARED_BASE), 'd.r.~.~.~.ApiTokenAuthSharedBase');
    assert.equal(render('%c{1.2.*}', SHARED_BASE), 'd.re.apitokenauth.platform.auth.ApiTokenAuthSharedBase');
    assert.equal(render('%c{.}', SHARED_BASE), '.....ApiTokenAuthSharedBase');
    assert.equal(render('%c{1.}', 'auth'), 'auth');
    assert.equal(render('%logger{1}', 'auth.filter'), 'filter');
  });

  it("%q{N} cuts every package component but the last N to its first letter (Atlassian's %q)", () => {
    assert.equal(render('%q{2}', SHARED_BASE), 'd.r.a.platform.auth.ApiTokenAuthSharedBase');
    assert.equal(render('%q{1}', SHARED_BASE), 'd.r.a.p.auth.ApiTokenAuthSharedBase');
    assert.equal(render('%q{0}', SHARED_BASE), 'd.r.a.p.a.ApiTokenAuthSharedBase');
    assert.equal(render('%q{9}', SHARED_BASE), SHARED_BASE);
    assert.equal(render('%q', SHARED_BASE), SHARED_BASE, 'without an option, as %c');
    for (const n of [0, 1, 2]) {
      assert.equal(render(`%q{${n}}`, 'auth'), 'auth');
      assert.equal(render(`%q{${n}}`, 'auth.filter'), n === 0 ? 'a.filter' : 'auth.filter');
    }
  });

  it('gives the same answer for a category seen before (names are remembered, not recomputed wrongly)', () => {
    const layout = compileLayout('%q{1}|%c{2}');
    for (let round = 0; round < 2; round++) {
      assert.equal(
        layout(event({ logger: SHARED_BASE })),
        'd.r.a.p.auth.ApiTokenAuthSharedBase|auth.ApiTokenAuthSharedBase\n',
      );
      assert.equal(layout(event({ logger: 'auth.filter' })), 'auth.filter|auth.filter\n');
    }
  });
});

describe('compileLayout, format modifiers', () => {
  it('pads to a minimum width, on the left by default and on the right with -', () => {
    assert.equal(compileLayout('[%5p][%-5p]')(event()), '[ INFO][INFO ]\n');
    assert.equal(compileLayout('[%-5p]')(event({ level: 'ERROR' })), '[ERROR]\n');
    assert.equal(compileLayout('[%-12X{username}]')(event()), '[anonymous   ]\n');
  });

  it('truncates to a maximum width from the start as log4j 1.x does, from the end with .-', () => {
    assert.equal(compileLayout('[%.6c]')(event({ logger: 'auth.filter' })), '[filter]\n');
    assert.equal(compileLayout('[%-8.10m]')(event({ message: 'abc' })), '[abc     ]\n');
    assert.equal(compileLayout('[%-8.10m]')(event({ message: 'a long message' })), '[ng message]\n');
    assert.equal(compileLayout('[%.-4m]')(event({ message: 'a long message' })), '[a lo]\n');
    assert.equal(compileLayout('[%.10d]')(event()), '[0,922+0000]\n');
    assert.equal(compileLayout('%-5level %logger: %msg')(event()), 'INFO  auth: hello\n');
  });

  it('masks a secret before cutting it, so that no part of it is printed', () => {
    const token = `tgp_${body(36)}`;
    const out = compileLayout('%.20m')(event({ message: `used ${token}` }));
    assert.equal(out, 'used tgp_***\n');
    const cut = compileLayout('%.-30m')(event({ message: `${token} used` }));
    assert.ok(!cut.includes(body(36).slice(0, 12)), cut);
  });
});

describe('compileLayout, dates and the relative time', () => {
  it("prints log4j 1.x's named date formats", () => {
    assert.equal(compileLayout('%d{ISO8601}')(event()), '2020-09-22 15:20:50,922\n');
    assert.equal(compileLayout('%d{iso8601}')(event()), '2020-09-22 15:20:50,922\n');
    assert.equal(compileLayout('%d{ABSOLUTE}')(event()), '15:20:50,922\n');
    assert.equal(compileLayout('%d{DATE}')(event()), '22 Sep 2020 15:20:50,922\n');
    assert.equal(compileLayout('%date{DATE}')(event()), '22 Sep 2020 15:20:50,922\n');
  });

  it('prints month and day names and two-digit years', () => {
    assert.equal(
      compileLayout('%d{EEE, dd MMM yy}|%d{EEEE MMMM}')(event()),
      'Tue, 22 Sep 20|Tuesday September\n',
    );
  });

  it('%r prints the milliseconds since the process started', () => {
    const start = Math.round(performance.timeOrigin);
    assert.equal(compileLayout('%r %m')(event({ time: start + 1234 })), '1234 hello\n');
    assert.equal(compileLayout('[%6r]')(event({ time: start + 42 })), '[    42]\n');
  });
});

describe('compileLayout, bad patterns', () => {
  const cases: [pattern: string, position: number, text: string][] = [
    ['%p %Q', 3, "unknown conversion '%Q'"],
    ['%p %highlight{%m}', 3, "unknown conversion '%highlight'"],
    ['%d{yyyy-MM', 2, "unclosed '{'"],
    ['[%X{url] %m', 3, "unclosed '{'"],
    ['%m %', 3, "dangling '%'"],
    ['%X %m', 0, "'%X' needs a {key}"],
    ['%X{} %m', 0, "'%X' needs a {key}"],
    ['%p{1} %m', 0, "'%p' takes no {option}"],
    ['%m %-5', 3, "a conversion must follow '%-5'"],
    ['%.x', 0, "a number must follow '.'"],
    ['%.0m', 0, 'a width must be a number from 1'],
    ['%5n', 0, "'%n' takes no format modifier"],
    ['[%c{0}]', 1, "'%c{0}' must be a number of components other than 0"],
    ['[%c{x}]', 1, "'%c{x}' is not a category option"],
    ['[%c{1.12}]', 1, "'%c{1.12}' is not a category option"],
    ['[%q{-1}]', 1, "'%q{-1}' must be the number of package components kept whole"],
    [
      '%d{ISO} %m',
      3,
      "unknown date field 'I' (known: yyyy yy MMMM MMM MM dd EEEE EEE HH mm ss SSS Z, or one of the names ISO8601, ABSOLUTE, DATE)",
    ],
    ['%d{yyyy-MM-dd} %-5p %X{tenant}', 20, "unknown context key 'tenant' in '%X{tenant}'"],
    ['%m %d{yyyy-MM-dd hh:mm}', 17, "unknown date field 'hh'"],
    ["%d{HH'h}", 5, 'unclosed quote'],
    [
      '%m %C',
      3,
      "'%C' (the caller's class) is not available: tokengate does not capture call sites; use '%c'",
    ],
    [
      '%m %F',
      3,
      "'%F' (the caller's file name) is not available: tokengate does not capture call sites; remove it",
    ],
    [
      '%m %l',
      3,
      "'%l' (the caller's location) is not available: tokengate does not capture call sites; use '%c'",
    ],
    [
      '%m %L',
      3,
      "'%L' (the caller's line number) is not available: tokengate does not capture call sites; remove it",
    ],
    [
      '%m %M',
      3,
      "'%M' (the caller's method) is not available: tokengate does not capture call sites; remove it",
    ],
    ['%m %-10.20line', 3, "'%line' (the caller's line number) is not available"],
    [
      '%m %x',
      3,
      "'%x' (the NDC) is not available: tokengate has no nested diagnostic context; use '%X{key}'",
    ],
    ['%m %NDC', 3, "'%NDC' (the NDC) is not available"],
    [
      '%m%n%throwable',
      4,
      "'%throwable' is not needed: tokengate always writes an event's error after its line",
    ],
    ['%m%n%ex{full}', 4, "'%ex' is not needed"],
    ['%m%n%xEx', 4, "'%xEx' is not needed"],
  ];
  for (const [pattern, position, text] of cases) {
    it(`rejects ${JSON.stringify(pattern)} naming position ${position}`, () => {
      assert.throws(
        () => compileLayout(pattern),
        (err: unknown) => {
          assert.ok(err instanceof LayoutError, String(err));
          assert.equal(err.position, position);
          assert.equal(err.pattern, pattern);
          assert.ok(err.message.includes(text), err.message);
          assert.ok(err.message.includes(`position ${position}`), err.message);
          return true;
        },
      );
    });
  }
});

describe('compileLayout, refusals name what is accepted', () => {
  it('lists every context key for an unknown one', () => {
    assert.throws(
      () => compileLayout('%X{jira.request.idd} %m'),
      (err: unknown) => {
        assert.ok(err instanceof LayoutError);
        assert.ok(
          err.message.includes(
            "unknown context key 'jira.request.idd' in '%X{jira.request.idd}' (the keys are username, " +
              'request.id, session.id, ipaddr, url, jira.username, jira.request.id, jira.request.assession.id, ' +
              'jira.request.ipaddr, jira.request.url)',
          ),
          err.message,
        );
        return true;
      },
    );
  });

  it('lists the conversions for an unknown one', () => {
    assert.throws(
      () => compileLayout('%m %Q'),
      /\(tokengate knows %d %t %p %c %q %m %r %n %X\{key\}, and %% for/,
    );
  });
});

describe('compileLayout, errors and hostile text', () => {
  const layout = compileLayout('%p %m%n');

  it("appends an error's stack after the line, every line of it indented", () => {
    const err = new Error('boom');
    const out = layout(event({ level: 'ERROR', err }));
    assert.ok(out.endsWith('\n') && !out.endsWith('\n\n'), JSON.stringify(out));
    const lines = out.slice(0, -1).split('\n');
    assert.equal(lines[0], 'ERROR hello');
    assert.equal(lines[1], `${CONTINUATION_INDENT}Error: boom`);
    assert.ok(lines.length > 2, 'the stack frames follow');
    for (const l of lines.slice(1)) assert.ok(l.startsWith(CONTINUATION_INDENT), JSON.stringify(l));
    assert.ok(
      lines.some((l) => l.includes('layout.test.ts')),
      'the frames are the real stack',
    );
  });

  it('prints a non-Error with String() and follows error causes', () => {
    assert.equal(
      layout(event({ err: 'plain failure' })),
      `INFO hello\n${CONTINUATION_INDENT}plain failure\n`,
    );
    const err = new Error('outer', { cause: new Error('inner') });
    const out = layout(event({ err }));
    assert.ok(out.includes(`\n${CONTINUATION_INDENT}Caused by: Error: inner\n`), out);
  });

  it('never lets a message or a context value start a line of its own', () => {
    const forged = 'x\n2020-09-22 15:20:50,922+0000 main INFO admin - - - - [auth] forged\r\nend\u001b[31m';
    const out = compileLayout(DEFAULT_PATTERN)(event({ message: forged, ctx: { username: forged } }));
    const lines = out.slice(0, -1).split('\n');
    assert.equal(lines.filter((l) => l.startsWith('2020-')).length, 1, out);
    assert.ok(lines[0]?.includes(' x\\u000a2020-09-22 '), 'the context value is escaped on its line');
    assert.ok(!out.includes('\u001b'), 'escape characters are escaped');
    for (const l of lines.slice(1)) assert.ok(l.startsWith(CONTINUATION_INDENT), JSON.stringify(l));
  });
});

describe('jsonLayout', () => {
  it('writes one JSON object per line with every field', () => {
    const out = jsonLayout(
      event({
        node: 'node-1',
        ctx: { username: 'admin', requestId: 'r1', sessionId: 's1', ip: '203.0.113.7', url: '/x' },
      }),
    );
    assert.ok(out.endsWith('}\n') && out.indexOf('\n') === out.length - 1, out);
    assert.deepEqual(JSON.parse(out), {
      time: '2020-09-22T15:20:50.922Z',
      level: 'INFO',
      logger: 'auth',
      thread: 'main',
      node: 'node-1',
      message: 'hello',
      username: 'admin',
      requestId: 'r1',
      sessionId: 's1',
      ip: '203.0.113.7',
      url: '/x',
    });
  });

  it('writes null for missing context, omits node, and adds the error', () => {
    const record = JSON.parse(jsonLayout(event({ message: 'a\nb', err: new Error('boom') }))) as Record<
      string,
      unknown
    >;
    assert.equal(record.username, null);
    assert.equal(record.url, null);
    assert.equal('node' in record, false);
    assert.equal(record.message, 'a\nb');
    assert.ok(
      typeof record.error === 'string' && record.error.startsWith('Error: boom\n'),
      String(record.error),
    );
  });
});

describe('redactSecrets', () => {
  const token = `tgp_${body(36)}`;

  it('masks tokengate tokens, keeping the prefix', () => {
    assert.equal(redactSecrets(`token ${token} used`), 'token tgp_*** used');
    assert.equal(redactSecrets(`/x?key=${token}&a=1`), '/x?key=tgp_***&a=1');
    assert.equal(redactSecrets(`TOKEN_${token}_END`), 'TOKEN_tgp_***_END');
    const generated = generateToken('acme2');
    assert.equal(redactSecrets(`"${generated}"`), '"acme2_***"');
  });

  it('leaves strings of the wrong length or shape alone', () => {
    for (const text of [`tgp_${body(35)}`, `tgp_${body(37)}`, `Tgp_${body(36)}`, `t_${body(36)}`]) {
      assert.equal(redactSecrets(text), text);
    }
  });

  it('masks Basic and Bearer credentials and Authorization values', () => {
    assert.equal(redactSecrets('got Basic dXNlcjpwYXNz from client'), 'got Basic *** from client');
    assert.equal(redactSecrets('Bearer abc'), 'Bearer ***');
    assert.equal(redactSecrets('Authorization: Bearer abc.def'), 'Authorization: Bearer ***');
    assert.equal(redactSecrets('authorization=s3cret; next'), 'authorization=***; next');
    assert.equal(redactSecrets('{"authorization":"raw-value"}'), '{"authorization":"***"}');
  });

  it("keeps the seed's prose and challenge headers readable", () => {
    const prose =
      'No valid API token was provided and basic auth with password is disabled. Bearer tokens too. ' +
      'WWW-Authenticate: Basic realm="tokengate"';
    assert.equal(redactSecrets(prose), prose);
  });

  it('is applied to every layout, stack traces included', () => {
    const e = event({
      message: `used ${token} with Basic dXNlcjpwYXNz`,
      err: new Error(`rejected Bearer ${token}`),
    });
    const text = compileLayout(DEFAULT_PATTERN)(e);
    const json = jsonLayout(e);
    for (const out of [text, json]) {
      assert.ok(!out.includes(token.slice(4)), out);
      assert.ok(!out.includes('dXNlcjpwYXNz'), out);
      assert.ok(out.includes('used tgp_*** with Basic ***'), out);
    }
    const record = JSON.parse(json) as { error: string };
    assert.ok(record.error.startsWith('Error: rejected Bearer ***\n'), record.error);
  });
});
