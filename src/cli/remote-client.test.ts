import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../domain/errors.js';
import { toFailure } from './failure.js';
import { apiFailure } from './remote-client.js';

describe("apiFailure: the API's error answers as the CLI's failures", () => {
  it('keeps a catalogue code, its message and details, so the exit class is the local one', () => {
    const e = apiFailure(412, {
      error: { code: 'precondition_failed', message: 'changed meanwhile', details: { etag: '"x"' } },
    });
    assert.ok(e instanceof AppError);
    assert.deepEqual(toFailure(e), {
      exitClass: 'conflict',
      code: 'precondition_failed',
      message: 'changed meanwhile',
      details: { etag: '"x"' },
    });
    assert.equal(
      toFailure(apiFailure(404, { error: { code: 'not_found', message: 'no' } })).exitClass,
      'notFound',
    );
    assert.equal(
      toFailure(apiFailure(401, { error: { code: 'unauthorized', message: 'no' } })).exitClass,
      'permission',
    );
  });

  it('classes an unknown code or a body that is no error by the status', () => {
    assert.deepEqual(toFailure(apiFailure(503, { error: { code: 'newer_code', message: 'later' } })), {
      exitClass: 'unavailable',
      code: 'newer_code',
      message: 'later',
    });
    const html = toFailure(apiFailure(502, undefined));
    assert.equal(html.exitClass, 'unavailable');
    assert.equal(html.message, 'the server answered 502');
    assert.equal(toFailure(apiFailure(418, null)).exitClass, 'validation');
  });
});
