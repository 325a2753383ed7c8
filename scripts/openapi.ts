/**
 * The management API's OpenAPI document, built without listening over a throwaway in-memory SQLite
 * context (nothing is bootstrapped and no secret is made), and what is made from it:
 * - `npm run gen:api` writes the web client's types, web/src/api-schema.d.ts; test/openapi-types.test.ts
 *   fails when the committed file differs from what this makes;
 * - `npm run lint:openapi` (`--lint`) writes the document to a temporary file and runs Redocly's
 *   linter on it with redocly.yaml: any warning or error fails it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Lints the document with Redocly CLI and redocly.yaml; the exit status is the linter's, or 1 when it
 * warned (Redocly exits 0 on warnings, and CI wants none).
 */
export async function lintOpenApi(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(await openApiDocument(), null, 2));
    const r = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'redocly'),
      ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--max-problems', '1000'],
      {
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    if (r.status !== 0) return r.status ?? 1;
    // "You have N warnings." is Redocly's summary line when there are any.
    return /You have \d+ warnings?/.test(r.stdout + r.stderr) ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--lint')) {
    process.exitCode = await lintOpenApi();
  } else {
    writeFileSync(API_SCHEMA_FILE, await apiSchemaSource());
    console.log(`wrote ${API_SCHEMA_FILE}`);
  }
}
