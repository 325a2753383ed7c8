import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REPORTED_FIELDS } from '../src/http/api/validation.js';
import { ADMIN_PASSWORD, basic, call, useHarness } from './support/harness.js';

/** Validation reports every bad field, each named, in `details` and in the message (issue 19). */

interface Problem {
  field: string;
  message: string;
}
interface ErrorBody {
  error: { code: string; message: string; details: Problem[] };
}

describe('validation errors', () => {
  const admin = basic('admin', ADMIN_PASSWORD);
  const h = useHarness();
  const tokenCount = async () => (await h.ctx.store.tokens.search({}, Date.now(), 100_000)).length;

  it('names both of two bad body fields, and writes nothing', async () => {
    const before = await tokenCount();
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: admin,
      body: { description: '', validityDays: 'ten' },
    });
    assert.equal(r.statusCode, 400);
    const { error } = r.data as ErrorBody;
    assert.equal(error.code, 'invalid_request');
    assert.deepEqual(
      error.details.map((d) => d.field),
      ['description', 'validityDays'],
    );
    for (const d of error.details) assert.ok(d.message.length > 0, d.field);
    assert.match(error.message, /^2 invalid fields: description: .+; validityDays: must be integer$/);
    assert.equal(await tokenCount(), before);
  });

  it('names all three of three bad fields: a wrong type, an unknown field and a missing one', async () => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/admin/users',
      auth: admin,
      body: { groups: 'dev', colour: 'blue', serviceAccount: 'yes' },
    });
    assert.equal(r.statusCode, 400);
    const { error } = r.data as ErrorBody;
    const byField = new Map(error.details.map((d) => [d.field, d.message]));
    assert.deepEqual([...byField.keys()].sort(), ['colour', 'groups', 'serviceAccount', 'username']);
    assert.equal(byField.get('colour'), 'is not a known field');
    assert.equal(byField.get('username'), 'is required');
    assert.equal(byField.get('groups'), 'must be array');
    assert.equal(byField.get('serviceAccount'), 'must be boolean');
    for (const field of byField.keys()) assert.ok(error.message.includes(`${field}: `), field);
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/admin/users/username', auth: admin })).statusCode,
      404,
    );
  });

  it('names every bad query parameter with its prefix', async () => {
    const r = await call(h.api, {
      method: 'GET',
      url: '/admin/tokens?limit=abc&scope=admin&createdFrom=yesterday',
      auth: admin,
    });
    assert.equal(r.statusCode, 400);
    const { error } = r.data as ErrorBody;
    assert.deepEqual(error.details.map((d) => d.field).sort(), [
      'query.createdFrom',
      'query.limit',
      'query.scope',
    ]);
    assert.match(error.message, /^3 invalid fields: /);
  });

  it('keeps the one-field message as it was: "field: message"', async () => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: admin,
      body: { description: 'x', scope: 'all' },
    });
    const { error } = r.data as ErrorBody;
    assert.equal(error.message, 'scope: must be one of "read", "write"');
    assert.deepEqual(error.details, [{ field: 'scope', message: 'must be one of "read", "write"' }]);
  });

  it(`lists at most ${MAX_REPORTED_FIELDS} fields however many are wrong`, async () => {
    const body: Record<string, number> = { description: 1 };
    for (let i = 0; i < 500; i++) body[`unknown${i}`] = i;
    const r = await call(h.api, { method: 'POST', url: '/tokens', auth: admin, body });
    assert.equal(r.statusCode, 400);
    const { error } = r.data as ErrorBody;
    assert.equal(error.details.length, MAX_REPORTED_FIELDS);
    for (const d of error.details) assert.match(d.field, /^(description|unknown\d+)$/);
  });
});
