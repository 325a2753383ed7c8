import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateToken } from '../domain/token-format.js';
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

  it('prints - for context keys it does not know', () => {
    const layout = compileLayout('%X{username}|%X{request.id}|%X{tenant}|%m');
    assert.equal(layout(event({ ctx: { username: 'bob', requestId: 'r1' } })), 'bob|r1|-|hello\n');
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

describe('compileLayout, bad patterns', () => {
  const cases: [pattern: string, position: number, text: string][] = [
    ['%p %q', 3, "unknown conversion '%q'"],
    ['%d{yyyy-MM', 2, "unclosed '{'"],
    ['[%X{url] %m', 3, "unclosed '{'"],
    ['%m %', 3, "dangling '%'"],
    ['%X %m', 0, "'%X' needs a {key}"],
    ['%X{} %m', 0, "'%X' needs a {key}"],
    ['%c{1} %m', 0, "'%c' takes no {option}"],
    ['%m %d{yyyy-MM-dd hh:mm}', 17, "unknown date field 'hh'"],
    ["%d{HH'h}", 5, 'unclosed quote'],
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
