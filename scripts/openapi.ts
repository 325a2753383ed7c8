/**
 * The web client's API types, generated from the management API's OpenAPI document:
 * `npm run gen:api` writes web/src/api-schema.d.ts, and test/openapi-types.test.ts fails when the
 * committed file differs from what this makes. The document is built without listening, over a
 * throwaway in-memory SQLite context; nothing is bootstrapped and no secret is made.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createApi } from '../src/http/server.js';
import { silentLogger } from '../src/log/logger.js';

export const API_SCHEMA_FILE = fileURLToPath(new URL('../web/src/api-schema.d.ts', import.meta.url));

const BANNER = `/* eslint-disable */
/**
 * Generated from the management API's OpenAPI document by scripts/openapi.ts: do not edit.
 * Run \`npm run gen:api\` after changing a route's schema (test/openapi-types.test.ts checks it).
 */
`;

/** The OpenAPI document the management API serves at /_tokengate/api/v1/openapi.json. */
export async function openApiDocument(): Promise<OpenAPI3> {
  const config = loadConfig({ db: ':memory:', nodeId: 'openapi' }, {});
  const ctx = await openApp(config, { log: silentLogger });
  try {
    const api = await createApi(ctx);
    try {
      return api.swagger() as unknown as OpenAPI3;
    } finally {
      await api.close();
    }
  } finally {
    await ctx.close();
  }
}

/** The text of web/src/api-schema.d.ts, formatted as the repository's prettier settings say. */
export async function apiSchemaSource(): Promise<string> {
  const nodes = await openapiTS(await openApiDocument(), { silent: true, alphabetize: true });
  const options = (await resolveConfig(API_SCHEMA_FILE)) ?? {};
  return format(BANNER + astToString(nodes), { ...options, filepath: API_SCHEMA_FILE });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(API_SCHEMA_FILE, await apiSchemaSource());
  console.log(`wrote ${API_SCHEMA_FILE}`);
}
