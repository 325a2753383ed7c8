#!/usr/bin/env node
// The whole suite's secrets check: no issued token, password or Authorization value may appear in any
// log file, audit record, error body or metrics text the tests produced. scripts/run-tests.mjs runs
// the tests with TOKENGATE_TEST_ARTIFACTS=<dir>; test/support/artifacts.ts fills <dir> with
//   secrets-<pid>.jsonl     {"kind":"token"|"password"|"authorization","value":"…"} per line
//   <kind>-<pid>.txt        artifacts (log, audit, error-body, metrics), each under a "=== source ===" line
// and this script reads them:
//   node scripts/scan-secrets.mjs <dir> [--partial]
// It fails when a secret is found, and, so that it can never pass by having looked at nothing, when it
// knows no secret or found no artifact (with --partial, for a run of a few files, those two only warn;
// a full run must also have every kind of artifact). Found secrets are never printed, only masked.
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const KINDS = ['log', 'audit', 'error-body', 'metrics'];
/** Shorter values ("x", "wrong") are words, not secrets: they would match anywhere. */
const MIN_LENGTH = 8;
/** A token's random part: 30 base62 characters, the part that makes it secret. */
const RANDOM_LENGTH = 30;
const TOKEN = /^([a-z][a-z0-9]{1,15})_([0-9A-Za-z]{36})$/;

const [dir, ...flags] = process.argv.slice(2);
if (!dir) {
  console.error('usage: scan-secrets.mjs <artifacts dir> [--partial]');
  process.exit(2);
}
const partial = flags.includes('--partial');

const mask = (s) => `${s.slice(0, 4)}…(${s.length} characters)`;

// The secrets.
const files = readdirSync(dir);
const secrets = new Map(); // value -> kind
let tooShort = 0;
for (const f of files.filter((n) => n.startsWith('secrets-'))) {
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    if (!line) continue;
    const { kind, value } = JSON.parse(line);
    if (typeof value !== 'string') continue;
    if (value.length < MIN_LENGTH) tooShort++;
    else if (!secrets.has(value)) secrets.set(value, kind);
  }
}
// A token is also found by its random part alone (a token cut at its prefix, or its body quoted).
const randomParts = new Map(); // random part -> token
const others = [];
for (const [value, kind] of secrets) {
  const m = TOKEN.exec(value);
  if (m) randomParts.set(m[2].slice(0, RANDOM_LENGTH), value);
  else others.push([value, kind]);
}

// The artifacts, scanned file by file.
const counts = Object.fromEntries(KINDS.map((k) => [k, { files: 0, sections: 0, bytes: 0 }]));
const found = [];
const ALNUM_RUN = /[0-9A-Za-z]{30,}/g;
for (const f of files.filter((n) => !n.startsWith('secrets-'))) {
  const kind = KINDS.find((k) => f.startsWith(`${k}-`));
  if (!kind) continue;
  const text = readFileSync(join(dir, f), 'utf8');
  counts[kind].files++;
  counts[kind].bytes += Buffer.byteLength(text);
  counts[kind].sections += text.split('\n=== ').length - 1;
  const where = (index) => {
    const header = text.lastIndexOf('\n=== ', index);
    const end = text.indexOf(' ===\n', header);
    return `${f}: ${header >= 0 ? text.slice(header + 5, end) : '?'}`;
  };
  // Tokens: every 30-character window of every long alphanumeric run, looked up in a set.
  for (const m of text.matchAll(ALNUM_RUN)) {
    const run = m[0];
    for (let i = 0; i + RANDOM_LENGTH <= run.length; i++) {
      const token = randomParts.get(run.slice(i, i + RANDOM_LENGTH));
      if (token !== undefined) found.push({ kind: 'token', secret: token, where: where(m.index + i) });
    }
  }
  // Everything else: plain substring search.
  for (const [value, kindOf] of others) {
    const at = text.indexOf(value);
    if (at >= 0) found.push({ kind: kindOf, secret: value, where: where(at) });
  }
}

const byKind = { token: 0, password: 0, authorization: 0 };
for (const kind of secrets.values()) byKind[kind] = (byKind[kind] ?? 0) + 1;
const totalFiles = KINDS.reduce((n, k) => n + counts[k].files, 0);
console.log(
  `secrets scan: ${secrets.size} secrets known (${byKind.token} tokens, ${byKind.password} passwords, ${byKind.authorization} Authorization values; ${tooShort} shorter than ${MIN_LENGTH} characters not scanned)`,
);
console.log(
  `secrets scan: ${totalFiles} artifact files scanned: ${KINDS.map((k) => `${k} ${counts[k].sections} (${(counts[k].bytes / 1024).toFixed(0)} KiB)`).join(', ')}`,
);

const problems = [];
if (secrets.size === 0) problems.push('no secrets were recorded: the scan would prove nothing');
if (totalFiles === 0) problems.push('no artifacts were recorded: the scan would prove nothing');
if (!partial)
  for (const k of KINDS) if (counts[k].sections === 0) problems.push(`no ${k} artifacts were recorded`);

if (found.length > 0) {
  console.error(`secrets scan: FAILED, ${found.length} secret(s) found in artifacts:`);
  const seen = new Set();
  for (const x of found) {
    const key = `${x.secret}|${x.where}`;
    if (seen.has(key)) continue;
    seen.add(key);
    console.error(`  a ${x.kind} ${mask(x.secret)} in ${x.where}`);
  }
  process.exit(1);
}
if (problems.length > 0) {
  if (partial) {
    for (const p of problems) console.log(`secrets scan: note: ${p}`);
    process.exit(0);
  }
  for (const p of problems) console.error(`secrets scan: FAILED: ${p}`);
  process.exit(1);
}
console.log('secrets scan: passed, no secret found in any artifact');
