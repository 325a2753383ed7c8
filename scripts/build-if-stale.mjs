#!/usr/bin/env node
// `npm start` builds only what is older than its sources, so that every start after the first is
// fast. dist/ is stale when a source file of src/ has no compiled file in dist/ or is newer than it,
// or when a tsconfig or package-lock.json is newer than the oldest compiled file; web/dist is stale
// when anything the UI is built from (web/, src/domain/ which it imports, package-lock.json) is newer
// than web/dist/index.html. `--check` only says what is stale (exit 1 when something is).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const at = (...p) => join(root, ...p);

/** Every file under dir (recursively), skipping node_modules and dist. */
function files(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path));
    else out.push(path);
  }
  return out;
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : -Infinity);

/** Why dist/ must be built, or null when it is up to date. */
function serverStale() {
  const sources = files(at('src')).filter(
    (p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts'),
  );
  let oldest = Infinity;
  for (const source of sources) {
    const compiled = at('dist', relative(at('src'), source).replace(/\.ts$/, '.js'));
    const built = mtime(compiled);
    if (built === -Infinity) return `${relative(root, compiled)} is missing`;
    if (mtime(source) > built) return `${relative(root, source)} is newer than ${relative(root, compiled)}`;
    oldest = Math.min(oldest, built);
  }
  for (const input of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'])
    if (mtime(at(input)) > oldest) return `${input} is newer than dist/`;
  return null;
}

/** Why web/dist must be built, or null when it is up to date. */
function webStale() {
  const built = mtime(at('web', 'dist', 'index.html'));
  if (built === -Infinity) return 'web/dist/index.html is missing';
  for (const input of [...files(at('web')), ...files(at('src', 'domain')), at('package-lock.json')])
    if (!input.endsWith('.test.ts') && mtime(input) > built)
      return `${relative(root, input)} is newer than web/dist/`;
  return null;
}

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const check = process.argv.includes('--check');
const server = serverStale();
const web = webStale();
if (check) {
  console.log(`dist/: ${server ?? 'up to date'}\nweb/dist/: ${web ?? 'up to date'}`);
  process.exit(server || web ? 1 : 0);
}
if (server) {
  console.error(`building dist/ (${server})`);
  run([at('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
}
if (web) {
  console.error(`building web/dist/ (${web})`);
  run([
    at('node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--config',
    'web/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
}
