/**
 * Checks a value against a setting's JSON schema (values.ts), for the keywords those schemas use, and
 * lists what fails as TypeBox's Value.Errors would (keyword and instance path). TypeBox itself is not
 * loaded here: the CLI checks settings and keeps TypeBox out (see values.ts); check.test.ts holds this
 * to Value.Check. A schema with any other keyword is refused rather than half-checked.
 */

export interface JsonSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  maxItems?: number;
  items?: JsonSchema;
  enum?: readonly unknown[];
  additionalProperties?: JsonSchema;
}

export interface SchemaError {
  keyword: string;
  instancePath: string;
}

const KEYWORDS = new Set([
  'type',
  'minimum',
  'maximum',
  'pattern',
  'maxItems',
  'items',
  'enum',
  'additionalProperties',
]);

const patterns = new Map<string, RegExp>();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return typeof value === type;
  }
}

const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Every problem of `value` against `schema`; empty when it fits. */
export function schemaErrors(schema: JsonSchema, value: unknown, path = ''): SchemaError[] {
  for (const keyword of Object.keys(schema)) {
    if (!KEYWORDS.has(keyword)) throw new Error(`settings schemas: "${keyword}" is not checked`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(t, value))) return [{ keyword: 'type', instancePath: path }];
  }
  const errors: SchemaError[] = [];
  const error = (keyword: string) => errors.push({ keyword, instancePath: path });
  if (schema.enum && !schema.enum.includes(value)) error('enum');
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) error('minimum');
    if (schema.maximum !== undefined && value > schema.maximum) error('maximum');
  }
  if (typeof value === 'string' && schema.pattern !== undefined) {
    let re = patterns.get(schema.pattern);
    if (!re) patterns.set(schema.pattern, (re = new RegExp(schema.pattern, 'u')));
    if (!re.test(value)) error('pattern');
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) error('maxItems');
    const items = schema.items;
    if (items) value.forEach((v, i) => errors.push(...schemaErrors(items, v, `${path}/${i}`)));
  }
  const extra = schema.additionalProperties;
  if (isObject(value) && extra) {
    for (const [k, v] of Object.entries(value))
      errors.push(...schemaErrors(extra, v, `${path}/${pointer(k)}`));
  }
  return errors;
}
