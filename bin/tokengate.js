#!/usr/bin/env node
// The installed entry point. It runs the compiled CLI (built by `npm ci` through the prepare script);
// in a source checkout without a build it falls back to the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let mod;
if (existsSync(compiled)) {
  mod = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
const code = await mod.runCli(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
