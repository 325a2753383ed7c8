#!/usr/bin/env node
// Before `npm pack` (the prepack script): removes compiled files of dist/ whose source is gone from
// src/, so that a module deleted or renamed since the last build is not shipped. tsc writes new
// files but never deletes old ones. Only orphans go: dist/ stays usable for anything running from it.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const COMPILED = /(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/;

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

const removed = [];
if (existsSync(dist)) {
  for (const file of walk(dist)) {
    const rel = relative(dist, file);
    if (!COMPILED.test(rel)) continue;
    const source = join(root, 'src', rel.replace(COMPILED, '.ts'));
    if (!existsSync(source)) {
      rmSync(file);
      removed.push(rel);
    }
  }
}
if (removed.length > 0)
  console.error(
    `prune-dist: removed ${removed.length} compiled file(s) without a source: ${removed.join(', ')}`,
  );
