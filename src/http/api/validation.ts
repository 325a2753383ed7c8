import AjvModule, { type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldProblem } from '../../domain/errors.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default export sits on `.default`.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

/**
 * Every bad field is reported, not only the first (allErrors). ajv's security notes warn that this lets
 * a crafted input make validation do more work: here a body is at most the API's body limit (64 KiB),
 * and every array and string in the schemas has a maxItems or maxLength, so the work stays bounded;
 * the response lists at most MAX_REPORTED_FIELDS fields.
 */
function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly: no type coercion and no silently dropped fields, so `"5"` is not a
 * number and an unknown field is an error. Query strings and path parameters arrive as text and are
 * coerced to the schema's types.
 */
export function makeValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

/** Most fields an error lists (in `details` and in its message); a client fixes those first. */
export const MAX_REPORTED_FIELDS = 20;

/** Body fields are named plainly (`description`); other parts carry a prefix (`query.limit`, `path.id`). */
const PART_PREFIX: Record<string, string> = {
  body: '',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** A key that reads unambiguously after a dot; others are quoted, as `body[" "]` or `query["a.b"]`. */
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** Longest key quoted back in a field name: the client sent it, and need not get all of it back. */
const MAX_KEY_IN_FIELD = 64;

/** The keys of a JSON pointer (`/rateLimit/requests`), unescaped. */
function pointerKeys(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `part.key.key`, with any key that is not plain quoted, so an odd or empty key stays visible. */
function fieldName(part: string, keys: readonly string[]): string {
  let out = part;
  for (const key of keys) {
    if (PLAIN_KEY.test(key)) out = out ? `${out}.${key}` : key;
    else {
      const shown = key.length > MAX_KEY_IN_FIELD ? `${key.slice(0, MAX_KEY_IN_FIELD)}…` : key;
      out = `${out || 'body'}[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}

/**
 * Turns ajv errors into one problem per field that names it. A value outside a union of constants
 * (`scope: "admin"`) makes ajv report every branch; those collapse into one "must be one of" message.
 */
export function fieldProblems(
  errors: readonly ErrorObject[] | readonly unknown[],
  context: string | undefined,
): FieldProblem[] {
  const part = PART_PREFIX[context ?? 'body'] ?? '';
  const byField = new Map<string, { messages: string[]; allowed: string[] }>();
  for (const e of errors as ErrorObject[]) {
    const keys = pointerKeys(e.instancePath);
    const params = e.params as Record<string, unknown>;
    let field = fieldName(part, keys);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      field = fieldName(part, [...keys, String(params.additionalProperty)]);
      message = 'is not a known field';
    } else if (e.keyword === 'required') {
      field = fieldName(part, [...keys, String(params.missingProperty)]);
      message = 'is required';
    }
    field ||= context === 'body' || context === undefined ? 'body' : part;
    const entry = byField.get(field) ?? { messages: [], allowed: [] };
    if (e.keyword === 'const') entry.allowed.push(JSON.stringify(params.allowedValue));
    else if (e.keyword !== 'anyOf' && !entry.messages.includes(message)) entry.messages.push(message);
    byField.set(field, entry);
  }
  return [...byField].slice(0, MAX_REPORTED_FIELDS).map(([field, { messages, allowed }]) => ({
    field,
    message: allowed.length > 0 ? `must be one of ${allowed.join(', ')}` : messages.join('; '),
  }));
}
