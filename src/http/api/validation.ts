import AjvModule, { type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldProblem } from '../../domain/errors.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default export sits on `.default`.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
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

const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Turns ajv errors into problems that name the field: `body.description`, `query.limit`. */
export function fieldProblems(
  errors: readonly ErrorObject[] | readonly unknown[],
  context: string | undefined,
): FieldProblem[] {
  const part = PART_NAMES[context ?? 'body'] ?? 'body';
  return (errors as ErrorObject[]).map((e) => {
    const path = (e.instancePath || '').split('/').filter(Boolean).join('.');
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') {
      const field = [part, path, String(params.additionalProperty)].filter(Boolean).join('.');
      return { field, message: 'is not a known field' };
    }
    if (e.keyword === 'required') {
      const field = [part, path, String(params.missingProperty)].filter(Boolean).join('.');
      return { field, message: 'is required' };
    }
    const field = [part, path].filter(Boolean).join('.');
    return { field, message: e.message ?? 'is invalid' };
  });
}
