/**
 * Kysely is loaded once, through src/store/kysely.ts (its CommonJS build, for the CLI's start-up; see
 * that module's comment). A value imported from 'kysely' anywhere else would load the package's ES
 * module build beside it: a second copy of every class, and the start-up cost back. This reads every
 * TypeScript file of src/, test/, bench/ and scripts/ with the TypeScript parser and allows only
 * type-only imports of 'kysely' (erased when compiled) outside the loader.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = new URL('..', import.meta.url).pathname;
const LOADER = 'src/store/kysely.ts';
const FOLDERS = ['src', 'test', 'bench', 'scripts'];
/** Deeper than any folder here; the walk stops there. */
const MAX_DEPTH = 12;

function tsFiles(dir: string, depth = 0): string[] {
  if (depth > MAX_DEPTH) throw new Error(`${dir}: folders nested deeper than ${MAX_DEPTH}`);
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(path, depth + 1);
    return /\.(ts|mts|cts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const isKysely = (node: ts.Node | undefined): boolean =>
  node !== undefined && ts.isStringLiteralLike(node) && /^kysely(\/|$)/.test(node.text);

/** A callee that loads a module: `import(…)`, `require(…)` (any name with require in it), `createRequire(…)(…)`. */
const loads = (callee: ts.Expression): boolean =>
  callee.kind === ts.SyntaxKind.ImportKeyword ||
  (ts.isIdentifier(callee) && /require/i.test(callee.text)) ||
  ts.isCallExpression(callee);

/** Where a file loads Kysely at run time: `line: text` of each import, export or call that does. */
export function kyselyValueImports(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node): void => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${line + 1}: ${node.getText(source).split('\n')[0] ?? ''}`);
  };
  const visit = (node: ts.Node): void => {
    // `import { type A } from 'kysely'` still loads the package (verbatimModuleSyntax keeps `import {}`):
    // only `import type` is erased.
    if (
      ts.isImportDeclaration(node) &&
      isKysely(node.moduleSpecifier) &&
      node.importClause?.phaseModifier !== ts.SyntaxKind.TypeKeyword
    )
      report(node);
    else if (ts.isExportDeclaration(node) && isKysely(node.moduleSpecifier) && !node.isTypeOnly) report(node);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      if (isKysely(node.moduleReference.expression) && !node.isTypeOnly) report(node);
    } else if (ts.isCallExpression(node) && loads(node.expression) && isKysely(node.arguments[0]))
      report(node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('Kysely is loaded only through src/store/kysely.ts', () => {
  it('no other file imports, requires or re-exports a value of kysely', () => {
    const files = FOLDERS.flatMap((f) => tsFiles(join(ROOT, f)));
    assert.ok(files.length > 100, `only ${files.length} files found under ${FOLDERS.join(', ')}`);
    const offending = files.flatMap((path) => {
      const name = relative(ROOT, path);
      if (name === LOADER) return [];
      return kyselyValueImports(name, readFileSync(path, 'utf8')).map((where) => `${name}:${where}`);
    });
    assert.deepEqual(offending, [], `import these from ${LOADER} instead:\n${offending.join('\n')}`);
  });

  it('the loader itself requires kysely (the check recognises what it is looking for)', () => {
    const found = kyselyValueImports(LOADER, readFileSync(join(ROOT, LOADER), 'utf8'));
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0] ?? '', /createRequire\(import\.meta\.url\)\('kysely'\)/);
  });

  it('tells a value import from a type-only one', () => {
    const cases: [string, number][] = [
      ["import { sql } from 'kysely';", 1],
      ["import { type Kysely, sql } from 'kysely';", 1],
      ["import { type Kysely } from 'kysely';", 1],
      ["import * as k from 'kysely';", 1],
      ["import 'kysely';", 1],
      ["import { jsonArrayFrom } from 'kysely/helpers/postgres';", 1],
      ["export { sql } from 'kysely';", 1],
      ["const k = await import('kysely');", 1],
      ["const k = require('kysely');", 1],
      ["const k = createRequire(import.meta.url)('kysely');", 1],
      ["assert.ok(loaded.has('kysely'));", 0],
      ["import type { Kysely, Selectable } from 'kysely';", 0],
      ["import type * as K from 'kysely';", 0],
      ["export type { Kysely } from 'kysely';", 0],
      ["type K = typeof import('kysely');", 0],
      ["import { sql } from '../store/kysely.js';", 0],
      ["import { x } from 'kysely-codegen';", 0],
    ];
    for (const [code, n] of cases) assert.equal(kyselyValueImports('case.ts', code).length, n, code);
  });
});
