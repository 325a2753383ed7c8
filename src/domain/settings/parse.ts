import { type JsonSchema, schemaErrors } from './check.js';
import { fail, ok, type Result } from '../result.js';
import {
  SETTINGS,
  type SettingKey,
  type SettingMessages,
  type Settings,
  type SettingSpec,
} from './definitions.js';

/** One setting as the rest of the program sees it: the table's entry with its checker. */
export interface SettingDefinition<K extends SettingKey = SettingKey> {
  key: K;
  /** A JSON-schema fragment for the OpenAPI document: the setting's TypeBox schema. */
  schema: Record<string, unknown>;
  default: Settings[K];
  description: string;
  /** Checks and canonicalizes a value that came from JSON. */
  parse(value: unknown): Result<Settings[K]>;
}

/** The refusal of a value of the wrong type or out of range, worded from the schema. */
function invalidMessage(key: string, schema: JsonSchema): string {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (schema.enum) return `must be one of ${schema.enum.join(', ')}`;
  if (types.includes('boolean')) return 'must be true or false';
  if (types.includes('integer')) return `must be an integer from ${schema.minimum} to ${schema.maximum}`;
  if (types.includes('array') && schema.items?.type === 'string') return 'must be an array of strings';
  throw new Error(`setting ${key}: give its schema an "invalid" message`);
}

/**
 * The first problem TypeBox finds, in our words: a wrong type or range first, then too many entries,
 * then an entry that misses the pattern of its list.
 */
function shapeProblem(
  shape: JsonSchema,
  messages: Required<Pick<SettingMessages, 'invalid' | 'tooMany'>> & SettingMessages,
  value: unknown,
): string | undefined {
  const errors = schemaErrors(shape, value);
  if (errors.length === 0) return undefined;
  const { maxItems } = shape;
  const tooMany = maxItems !== undefined && Array.isArray(value) && value.length > maxItems;
  let firstBad = Infinity;
  for (const e of errors) {
    if (e.keyword === 'maxItems' && e.instancePath === '') continue;
    if (e.keyword !== 'pattern' || !/^\/\d+$/.test(e.instancePath) || !messages.item) return messages.invalid;
    firstBad = Math.min(firstBad, Number(e.instancePath.slice(1)));
  }
  if (tooMany) return messages.tooMany;
  const entry = (value as unknown[])[firstBad];
  return messages.item && typeof entry === 'string' ? messages.item(entry) : messages.invalid;
}

function checker<K extends SettingKey>(key: K, spec: SettingSpec): (value: unknown) => Result<Settings[K]> {
  const bits = spec.schema as JsonSchema;
  const messages = {
    ...spec.messages,
    invalid: spec.messages?.invalid ?? invalidMessage(key, bits),
    tooMany: spec.messages?.tooMany ?? `at most ${bits.maxItems} entries are allowed`,
  };
  const shape = (spec.input ?? spec.schema) as JsonSchema;
  return (value) => {
    const problem = shapeProblem(shape, messages, value);
    if (problem !== undefined) return fail(problem);
    const r = spec.refine ? spec.refine(value) : ok(value);
    if (!r.ok) return r;
    // -0 is 0, as JSON stores it.
    return ok((Object.is(r.value, -0) ? 0 : r.value) as Settings[K]);
  };
}

export const SETTING_DEFINITIONS: readonly SettingDefinition[] = Object.entries(SETTINGS).map(
  ([key, spec]) => ({
    key: key as SettingKey,
    schema: spec.schema as unknown as Record<string, unknown>,
    default: spec.default,
    description: spec.description,
    parse: checker(key as SettingKey, spec as SettingSpec),
  }),
);

const BY_KEY = new Map<string, SettingDefinition>(SETTING_DEFINITIONS.map((d) => [d.key, d]));

export function isSettingKey(key: string): key is SettingKey {
  return BY_KEY.has(key);
}

export function settingDefinition(key: SettingKey): SettingDefinition {
  const d = BY_KEY.get(key);
  if (!d) throw new Error(`unknown setting ${key}`);
  return d;
}

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const d of SETTING_DEFINITIONS) out[d.key] = structuredClone(d.default);
  return out as unknown as Settings;
}
