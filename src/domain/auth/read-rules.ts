import { fail, ok, type Result } from '../result.js';
import { READ_METHODS } from '../token/token.js';
import { decodeQueryPart, queryParams } from '../query.js';

/**
 * Which requests a `read` token may make. GET, HEAD and OPTIONS always (except the discovery step
 * of a Git push, below); beyond them, the rules of `auth.readRules`: a preset name, or
 * `METHOD /path/pattern` where `*` matches within one path segment and `**` matches across segments.
 */
export interface ReadRule {
  method: string;
  /** The path glob. */
  path: string;
  /** The media type the request must declare (parameters ignored), or null for any. */
  contentType: string | null;
}

/**
 * Presets exist for protocols whose reads use POST. Git's smart HTTP clones and fetches with
 * `POST …/git-upload-pack` and `Content-Type: application/x-git-upload-pack-request`; the type is
 * part of the rule, so an unrelated API whose path happens to end in `git-upload-pack` (say
 * Elasticsearch's `POST /orders/_doc/git-upload-pack`) gets no write through it.
 */
export const READ_RULE_PRESETS: Readonly<Record<string, readonly ReadRule[]>> = {
  git: [
    { method: 'POST', path: '/**/git-upload-pack', contentType: 'application/x-git-upload-pack-request' },
  ],
};

/** What a rule may look at besides the method and path; absent facts never satisfy a rule that needs them. */
export interface ReadFacts {
  /** The query string, without the `?`. */
  query?: string | undefined;
  /** The request's Content-Type header as sent. */
  contentType?: string | undefined;
}

export interface ReadRules {
  /** True when a read token may make this request. */
  isRead(method: string, path: string, facts?: ReadFacts): boolean;
}

const METHOD = /^(\*|[A-Z][A-Z-]{0,19})$/;

const LITERAL = 0;
/** `*`: any run of characters other than `/`. */
const STAR = 1;
/** `**`: any run of characters. */
const GLOBSTAR = 2;

export interface GlobMatch {
  matched: boolean;
  /** States visited: at most (|path|+1)·(|pattern|+1), whatever the pattern. */
  steps: number;
}

export interface Glob {
  match(path: string): GlobMatch;
}

/**
 * Compiles a path glob to a matcher that runs the pattern as an NFA over the path, one pass, all
 * live states at once (Thompson's construction; RE2 and Go's regexp work this way). A backtracking
 * regex took 27 s on a 15 KB path against `/**\/v1/**\/jobs/**\/run`; this takes at most
 * (|path|+1)·(|pattern|+1) steps for any pattern and path, which the property test checks.
 */
export function compileGlob(pattern: string): Glob {
  const kinds: number[] = [];
  const chars: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 42 /* * */ && pattern.charCodeAt(i + 1) === 42) {
      kinds.push(GLOBSTAR);
      chars.push(0);
      i++;
    } else {
      kinds.push(c === 42 ? STAR : LITERAL);
      chars.push(c);
    }
  }
  const n = kinds.length;
  // Two state sets, reused: matching is synchronous, so no two matches share them at once.
  let cur = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  const match = (path: string): GlobMatch => {
    let steps = 0;
    cur.fill(0);
    cur[0] = 1;
    // A star may match nothing: a live state before it makes the state after it live too.
    for (let i = 0; i < n; i++) {
      steps++;
      if (cur[i] === 1 && kinds[i] !== LITERAL) cur[i + 1] = 1;
    }
    steps++;
    for (let p = 0; p < path.length; p++) {
      const c = path.charCodeAt(p);
      next.fill(0);
      let live = false;
      for (let i = 0; i <= n; i++) {
        steps++;
        if (i < n && cur[i] === 1) {
          const kind = kinds[i];
          if (kind === LITERAL) {
            if (chars[i] === c) next[i + 1] = 1;
          } else if (kind === GLOBSTAR || c !== 47 /* / */) next[i] = 1;
        }
        if (next[i] === 1) {
          live = true;
          if (i < n && kinds[i] !== LITERAL) next[i + 1] = 1;
        }
      }
      [cur, next] = [next, cur];
      if (!live) return { matched: false, steps };
    }
    return { matched: cur[n] === 1, steps };
  };
  return { match };
}

/** Validates one rule: a preset name, or `METHOD /pattern`. */
export function parseReadRule(entry: string): Result<ReadRule[]> {
  const text = entry.trim();
  // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members.
  const preset = Object.hasOwn(READ_RULE_PRESETS, text) ? READ_RULE_PRESETS[text] : undefined;
  if (preset) return ok(preset.map((r) => ({ ...r })));
  const space = text.indexOf(' ');
  const method = space === -1 ? '' : text.slice(0, space);
  const path = space === -1 ? '' : text.slice(space + 1).trim();
  if (!METHOD.test(method) || !path.startsWith('/') || path.length > 512 || /\s/.test(path)) {
    return fail(
      `"${text}" is neither a preset (${Object.keys(READ_RULE_PRESETS).join(', ')}) nor "METHOD /path/pattern", e.g. "POST /api/search"`,
    );
  }
  return ok([{ method, path, contentType: null }]);
}

/** `application/x-git-upload-pack-request; charset=x` → `application/x-git-upload-pack-request`. */
function mediaType(header: string | undefined): string | null {
  if (header === undefined) return null;
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/** `…/info/refs`, with a trailing slash, in any case, letters percent-encoded or not. */
function isInfoRefs(path: string): boolean {
  let p = path.toLowerCase();
  if (p.includes('%')) p = decodeQueryPart(p) ?? p;
  if (p.endsWith('/')) p = p.slice(0, -1);
  return p.endsWith('/info/refs');
}

/**
 * `GET …/info/refs?service=git-receive-pack` is the first step of a push. It is a GET, but a read
 * token that is allowed it fails later, at the POST, with git's confusing "RPC failed … Everything
 * up-to-date"; refused here, git shows the 403's text to its user instead. Read as loosely as any
 * Git server might (git-http-backend, Gitea, GitLab, Bitbucket): `info/refs` with a trailing slash or
 * in any case, parameters separated by `&` or `;`, the key `service` in any case, and a value that
 * names receive-pack in any case (with or without `git-`), or cannot be decoded at all.
 */
export function isPushDiscovery(path: string, query: string | undefined): boolean {
  if (query === undefined || query === '' || !isInfoRefs(path)) return false;
  for (const [key, raw] of queryParams(query)) {
    if (raw === null || decodeQueryPart(key)?.trim().toLowerCase() !== 'service') continue;
    const value = decodeQueryPart(raw);
    if (value === null || value.toLowerCase().includes('receive-pack')) return true;
  }
  return false;
}

/** True for Git smart-HTTP requests, whose client shows a text/plain error body as `remote: …`. */
export function isGitSmartHttp(url: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.endsWith('/git-upload-pack') || path.endsWith('/git-receive-pack')) return true;
  return isInfoRefs(path) && q !== -1 && /service=git-/i.test(url.slice(q + 1));
}

interface CompiledRule {
  glob: Glob;
  contentType: string | null;
}

/** Compiles validated rules once, when settings load or change; `isRead` then only runs matchers for non-read methods. */
export function compileReadRules(entries: readonly string[]): ReadRules {
  const byMethod = new Map<string, CompiledRule[]>();
  for (const entry of entries) {
    const r = parseReadRule(entry);
    if (!r.ok) throw new TypeError(r.error);
    for (const rule of r.value) {
      const list = byMethod.get(rule.method) ?? [];
      list.push({ glob: compileGlob(rule.path), contentType: rule.contentType });
      byMethod.set(rule.method, list);
    }
  }
  const any = byMethod.get('*') ?? [];
  const matches = (rules: readonly CompiledRule[], path: string, facts: ReadFacts): boolean => {
    for (const rule of rules) {
      if (rule.contentType !== null && mediaType(facts.contentType) !== rule.contentType) continue;
      if (rule.glob.match(path).matched) return true;
    }
    return false;
  };
  return {
    isRead(method: string, path: string, facts: ReadFacts = {}): boolean {
      if (isPushDiscovery(path, facts.query)) return false;
      if (READ_METHODS.has(method)) return true;
      const rules = byMethod.get(method);
      return (rules !== undefined && matches(rules, path, facts)) || matches(any, path, facts);
    },
  };
}
