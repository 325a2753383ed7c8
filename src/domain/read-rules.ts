import { fail, ok, type Result } from './result.js';
import { READ_METHODS } from './token.js';

/**
 * Which requests a `read` token may make. GET, HEAD and OPTIONS always; beyond them, the rules of
 * `auth.readRules`: a preset name, or `METHOD /path/pattern` where `*` matches within one path
 * segment and `**` matches across segments.
 *
 * Presets exist for protocols whose reads use POST. Git's smart HTTP clones and fetches with
 * `POST …/git-upload-pack`, while a push uses `git-receive-pack`, so the `git` preset lets
 * `git clone` work with a read token and still refuses `git push`.
 */
export const READ_RULE_PRESETS: Readonly<Record<string, readonly string[]>> = {
  git: ['POST /**/git-upload-pack'],
};

export interface ReadRules {
  /** True when a read token may make this request. */
  isRead(method: string, path: string): boolean;
}

const METHOD = /^(\*|[A-Z][A-Z-]{0,19})$/;

function globToRegex(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') {
      if (glob.charAt(i + 1) === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

/** Validates one rule: a preset name, or `METHOD /pattern`. */
export function parseReadRule(entry: string): Result<string[]> {
  const text = entry.trim();
  const preset = READ_RULE_PRESETS[text];
  if (preset) return ok([...preset]);
  const space = text.indexOf(' ');
  const method = space === -1 ? '' : text.slice(0, space);
  const path = space === -1 ? '' : text.slice(space + 1).trim();
  if (!METHOD.test(method) || !path.startsWith('/') || path.length > 512 || /\s/.test(path)) {
    return fail(
      `"${text}" is neither a preset (${Object.keys(READ_RULE_PRESETS).join(', ')}) nor "METHOD /path/pattern", e.g. "POST /api/search"`,
    );
  }
  return ok([`${method} ${path}`]);
}

/** Compiles validated rules once, when settings load or change; `isRead` then only runs regexes for non-read methods. */
export function compileReadRules(entries: readonly string[]): ReadRules {
  const byMethod = new Map<string, RegExp[]>();
  for (const entry of entries) {
    const r = parseReadRule(entry);
    if (!r.ok) throw new TypeError(r.error);
    for (const rule of r.value) {
      const space = rule.indexOf(' ');
      const method = rule.slice(0, space);
      const list = byMethod.get(method) ?? [];
      list.push(globToRegex(rule.slice(space + 1)));
      byMethod.set(method, list);
    }
  }
  const any = byMethod.get('*') ?? [];
  return {
    isRead(method: string, path: string): boolean {
      if (READ_METHODS.has(method)) return true;
      const rules = byMethod.get(method);
      if (rules) for (const re of rules) if (re.test(path)) return true;
      for (const re of any) if (re.test(path)) return true;
      return false;
    },
  };
}
