import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { DEFAULT_PATTERN, compileLayout, jsonLayout } from './layout.js';
import type { Layout, LogEvent } from './layout.js';
import { LogManager } from './log-manager.js';
import type { LogManagerOptions } from './log-manager.js';
import type { LogLevel } from './levels.js';
import type { Logger } from './logger.js';
import { memorySink, streamSink } from './sinks.js';
import type { LogSink } from './sinks.js';

const SEED_TIME = Date.UTC(2020, 8, 22, 15, 20, 50, 922);

/** A layout that records every event it formats, to prove disabled calls format nothing. */
function recordingLayout(): { layout: Layout; events: LogEvent[] } {
  const events: LogEvent[] = [];
  return {
    events,
    layout: (e) => {
      events.push(e);
      return `${e.level} [${e.logger}] ${e.message}\n`;
    },
  };
}

function setup(options: Partial<LogManagerOptions> = {}) {
  const sink = memorySink();
  const recording = recordingLayout();
  const manager = new LogManager({
    sinks: [sink],
    layout: recording.layout,
    thread: 'main',
    now: () => SEED_TIME,
    ...options,
  });
  return { manager, sink, events: recording.events };
}

describe('LogManager levels', () => {
  const levels: Record<string, LogLevel> = { '': 'WARN', auth: 'DEBUG', 'auth.filter': 'ERROR' };

  it('resolves a name through its dotted ancestors, then the root, then the default', () => {
    const { manager } = setup({ levels });
    assert.equal(manager.levelOf('auth.filter'), 'ERROR');
    assert.equal(manager.levelOf('auth.filter.basic'), 'ERROR');
    assert.equal(manager.levelOf('auth.cache'), 'DEBUG');
    assert.equal(manager.levelOf('auth'), 'DEBUG');
    assert.equal(manager.levelOf('authx'), 'WARN', 'a prefix is not a parent');
    assert.equal(manager.levelOf('store'), 'WARN');
    assert.equal(manager.levelOf(''), 'WARN');

    assert.equal(setup().manager.levelOf('anything'), 'INFO');
    assert.equal(setup({ defaultLevel: 'TRACE' }).manager.levelOf('a.b'), 'TRACE');
    assert.equal(setup({ levels: { a: 'ERROR' }, defaultLevel: 'TRACE' }).manager.levelOf('a.b'), 'ERROR');
  });

  it('applies the effective level to each logger', () => {
    const { manager, sink } = setup({ levels });
    manager.logger('auth.cache').debug('cache debug');
    manager.logger('auth.filter').warn('filter warn');
    manager.logger('auth.filter').error('filter error');
    manager.logger('store').info('store info');
    manager.logger('store').warn('store warn');
    assert.deepEqual(sink.lines, [
      'DEBUG [auth.cache] cache debug\n',
      'ERROR [auth.filter] filter error\n',
      'WARN [store] store warn\n',
    ]);
  });

  it('setLevels recomputes the loggers already handed out', () => {
    const { manager, sink } = setup({ levels: { auth: 'ERROR' } });
    const auth = manager.logger('auth.filter');
    const store = manager.logger('store');
    assert.equal(auth.isEnabled('INFO'), false);
    assert.equal(store.isEnabled('DEBUG'), false);

    manager.setLevels({ 'auth.filter': 'DEBUG', '': 'ERROR' });
    assert.equal(auth.isEnabled('DEBUG'), true);
    assert.equal(auth.isEnabled('TRACE'), false);
    assert.equal(store.isEnabled('WARN'), false);
    auth.debug('now visible');
    store.warn('now hidden');
    assert.deepEqual(sink.lines, ['DEBUG [auth.filter] now visible\n']);
    assert.deepEqual(manager.levels(), { 'auth.filter': 'DEBUG', '': 'ERROR' });
    assert.equal(manager.levelOf('auth'), 'ERROR', 'the old map is gone, not merged');
  });

  it('levels() is a copy, and invalid levels are refused', () => {
    const { manager } = setup({ levels: { a: 'INFO' } });
    const copy = manager.levels();
    copy.a = 'TRACE';
    assert.equal(manager.levelOf('a'), 'INFO');
    assert.throws(() => manager.setLevels({ a: 'LOUD' as LogLevel }), TypeError);
    assert.equal(manager.levelOf('a'), 'INFO', 'a refused map changes nothing');
  });

  it('formats and writes nothing for a disabled level', () => {
    const { manager, sink, events } = setup({ defaultLevel: 'WARN' });
    const log = manager.logger('quiet');
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.log('INFO', 'i2');
    assert.deepEqual(sink.lines, []);
    assert.equal(events.length, 0, 'the layout never ran');
    log.warn('w');
    assert.equal(events.length, 1);
  });

  it('OFF silences a logger completely, and nothing is ever logged at OFF', () => {
    const { manager, sink } = setup({ levels: { mute: 'OFF', loud: 'TRACE' } });
    const mute = manager.logger('mute.child');
    mute.error('e', new Error('x'));
    mute.log('ERROR', 'e2');
    for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'] as const) {
      assert.equal(mute.isEnabled(level), false, level);
    }
    const loud = manager.logger('loud');
    assert.equal(loud.isEnabled('TRACE'), true);
    assert.equal(loud.isEnabled('OFF'), false);
    loud.log('OFF', 'never');
    assert.deepEqual(sink.lines, []);
  });
});

describe('LogManager unfiltered loggers (red team F5)', () => {
  it('writes security lines whatever the levels say, even after setLevels turns everything OFF', () => {
    const { manager, sink } = setup({ levels: { '': 'OFF' } });
    const anchor = manager.unfiltered('audit.anchor');
    manager.setLevels({ '': 'OFF', audit: 'OFF', 'audit.anchor': 'OFF' });
    anchor.info('audit chain head seq=4');
    anchor.warn('held');
    anchor.error('failed', new Error('disk'));
    assert.deepEqual(sink.lines, [
      'INFO [audit.anchor] audit chain head seq=4\n',
      'WARN [audit.anchor] held\n',
      'ERROR [audit.anchor] failed\n',
    ]);
    // The ordinary logger of the same name stays as quiet as its level says.
    manager.logger('audit.anchor').info('quiet');
    assert.equal(sink.lines.length, 3);
  });

  it('writes nothing after close', async () => {
    const { manager, sink } = setup();
    const anchor = manager.unfiltered('audit.anchor');
    await manager.close();
    anchor.info('late');
    assert.deepEqual(sink.lines, []);
  });
});

describe('LogManager loggers', () => {
  it('caches one logger per name', () => {
    const { manager } = setup();
    assert.equal(manager.logger('a'), manager.logger('a'));
    assert.notEqual(manager.logger('a'), manager.logger('b'));
    assert.equal(manager.logger('a.b').name, 'a.b');
  });

  it('carries the context, time, thread and error into the seed layout', () => {
    const sink = memorySink();
    const manager = new LogManager({
      sinks: [sink],
      layout: compileLayout(DEFAULT_PATTERN),
      thread: 'http-1',
      now: () => SEED_TIME,
    });
    const log = manager.logger('auth');
    log.info('User successfully authenticated', {
      username: 'admin',
      requestId: '920x447x1',
      ip: '203.0.113.7',
      url: '/rest/api/2/myself',
    });
    log.error('store down', 'ECONNREFUSED', { requestId: 'r2' });
    assert.deepEqual(sink.lines, [
      '2020-09-22 15:20:50,922+0000 http-1 INFO admin 920x447x1 - 203.0.113.7 /rest/api/2/myself [auth] User successfully authenticated\n',
      '2020-09-22 15:20:50,922+0000 http-1 ERROR anonymous r2 - - - [auth] store down\n    ECONNREFUSED\n',
    ]);
  });

  it('passes the node id to the layout and writes every sink', () => {
    const a = memorySink();
    const b = memorySink();
    const manager = new LogManager({
      sinks: [a, b],
      layout: jsonLayout,
      thread: 'main',
      node: 'node-7',
      now: () => SEED_TIME,
    });
    manager.logger('cluster').warn('peer lost', { ip: '10.0.0.2' });
    assert.equal(a.lines.length, 1);
    assert.deepEqual(a.lines, b.lines);
    const record = JSON.parse(a.lines[0] ?? '') as Record<string, unknown>;
    assert.equal(record.node, 'node-7');
    assert.equal(record.level, 'WARN');
    assert.equal(record.ip, '10.0.0.2');
    assert.equal(record.time, '2020-09-22T15:20:50.922Z');
  });

  it('is a drop-in Logger, including methods passed as callbacks', () => {
    const { manager, sink } = setup();
    const logger: Logger = manager.logger('app');
    logger.info('started');
    logger.warn('careful');
    logger.error('failed', new Error('boom'));
    const { warn } = logger;
    warn('detached');
    const callbacks: ((m: string) => void)[] = [logger.info];
    for (const f of callbacks) f('as callback');
    assert.deepEqual(sink.lines, [
      'INFO [app] started\n',
      'WARN [app] careful\n',
      'ERROR [app] failed\n',
      'WARN [app] detached\n',
      'INFO [app] as callback\n',
    ]);
  });

  it('flushes and closes every sink, and ignores calls after close', async () => {
    const calls: string[] = [];
    const counting = (name: string): LogSink => ({
      write: (line) => calls.push(`${name} write ${line.trim()}`),
      flush: async () => {
        calls.push(`${name} flush`);
      },
      close: async () => {
        calls.push(`${name} close`);
      },
    });
    const manager = new LogManager({
      sinks: [counting('a'), counting('b')],
      layout: recordingLayout().layout,
      thread: 'main',
    });
    const log = manager.logger('x');
    log.info('one');
    await manager.flush();
    await manager.close();
    log.info('two');
    assert.deepEqual(calls, [
      'a write INFO [x] one',
      'b write INFO [x] one',
      'a flush',
      'b flush',
      'a close',
      'b close',
    ]);
  });

  it('writes to a stream it does not own, leaving it open on close', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const sink = streamSink(stream);
    const manager = new LogManager({
      sinks: [sink],
      layout: recordingLayout().layout,
      thread: 'm',
    });
    manager.logger('s').info('to the stream');
    await manager.close();
    manager.logger('s').info('after close');
    sink.write('late\n');
    assert.equal(chunks.join(''), 'INFO [s] to the stream\n');
    assert.equal(stream.writableEnded, false);
  });
});
