import type { Command, Option } from 'commander';

/** The shells `tokengate completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** One option as completion needs it. */
interface FlagInfo {
  flags: string[];
  /** The option takes a value: the word after it is not a subcommand. */
  valued: boolean;
  choices: readonly string[];
  description: string;
}

/** One command of the tree: its path from the program (`token create`), subcommands and options. */
interface Node {
  path: string;
  subcommands: Array<{ name: string; description: string }>;
  options: FlagInfo[];
  /** The values its arguments may take, where commander knows them (`completion <shell>`). */
  operands: string[];
}

function flagInfo(o: Option): FlagInfo {
  return {
    flags: [o.short, o.long].filter((f): f is string => f !== undefined),
    valued: o.required || o.optional,
    choices: o.argChoices ?? [],
    description: o.description,
  };
}

const HELP: FlagInfo = { flags: ['-h', '--help'], valued: false, choices: [], description: 'display help' };

/**
 * Walks commander's command tree, so that every command, subcommand and option, with its short flag
 * and choices, is completed without a word here about any of them. The program's options are
 * accepted after any subcommand (commander's default), so every node offers them too.
 */
export function commandTree(program: Command): Node[] {
  const globals = program.options.filter((o) => !o.hidden).map(flagInfo);
  const nodes: Node[] = [];
  const walk = (cmd: Command, path: string): void => {
    const own = path === '' ? [] : cmd.options.filter((o) => !o.hidden).map(flagInfo);
    const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })),
      options: [...own, ...globals, HELP],
      operands: cmd.registeredArguments.flatMap((a) => a.argChoices ?? []),
    });
    for (const c of subs) walk(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  walk(program, '');
  return nodes;
}

/** Quotes a word for sh, bash, zsh and fish alike (single quotes; fish reads `\'` inside them). */
function q(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes for fish, whose single-quoted strings take `\'` and `\\`. */
function fq(word: string): string {
  return `'${word.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * `case` arms shared by bash and zsh: for a command path, its subcommands, its options, the options
 * that take a value, and an option's choices.
 */
function shData(name: string, nodes: Node[]): string {
  const arms = (pick: (n: Node) => string[]): string =>
    nodes.map((n) => `    ${q(n.path)}) printf '%s\\n' ${q(pick(n).join(' '))} ;;`).join('\n');
  const choices = new Map<string, readonly string[]>();
  for (const n of nodes)
    for (const o of n.options) if (o.choices.length > 0) for (const f of o.flags) choices.set(f, o.choices);
  return [
    `_${name}_subcommands() {\n  case "$1" in\n${arms((n) => n.subcommands.map((s) => s.name))}\n  esac\n}`,
    `_${name}_operands() {\n  case "$1" in\n${arms((n) => n.operands)}\n  esac\n}`,
    `_${name}_options() {\n  case "$1" in\n${arms((n) => n.options.flatMap((o) => o.flags))}\n  esac\n}`,
    `_${name}_valued() {\n  case "$1" in\n${arms((n) => n.options.filter((o) => o.valued).flatMap((o) => o.flags))}\n  esac\n}`,
    `_${name}_choices() {\n  case "$1" in\n${[...choices].map(([f, c]) => `    ${q(f)}) printf '%s\\n' ${q(c.join(' '))} ;;`).join('\n')}\n  esac\n}`,
  ].join('\n\n');
}

/**
 * The command path typed so far: the words that name subcommands, skipping options and their
 * values. Shared by bash and zsh; `$@` is the words before the cursor, the program's name excluded.
 */
function shPath(name: string): string {
  // Not \`path\`: in zsh that is the array tied to PATH.
  return `_${name}_path() {
  local cmdpath= skip= w
  for w in "$@"; do
    if [ -n "$skip" ]; then skip=; continue; fi
    case "$w" in
      --*=*) ;;
      -*) case " $(_${name}_valued "$cmdpath") " in *" $w "*) skip=1 ;; esac ;;
      *) case " $(_${name}_subcommands "$cmdpath") " in *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;; esac ;;
    esac
  done
  printf '%s\\n' "$cmdpath"
}`;
}

function bash(name: string, nodes: Node[]): string {
  return `# bash completion for ${name}, generated from its command tree by \`${name} completion bash\`.
# Load it in ~/.bashrc:  source <(${name} completion bash)
${shData(name, nodes)}

${shPath(name)}

_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath choices
  COMPREPLY=()
  if [ "$COMP_CWORD" -gt 1 ]; then
    choices="$(_${name}_choices "$prev")"
    if [ -n "$choices" ]; then COMPREPLY=($(compgen -W "$choices" -- "$cur")); return; fi
  fi
  cmdpath="$(_${name}_path "\${COMP_WORDS[@]:1:COMP_CWORD-1}")"
  # The word after an option that takes a value: files (complete -o default), nothing of ours.
  case " $(_${name}_valued "$cmdpath") " in *" $prev "*) [ "$COMP_CWORD" -gt 1 ] && return ;; esac
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$(_${name}_options "$cmdpath")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(_${name}_subcommands "$cmdpath") $(_${name}_operands "$cmdpath")" -- "$cur")) ;;
  esac
}
complete -o default -F _${name} ${name}
`;
}

function zsh(name: string, nodes: Node[]): string {
  return `#compdef ${name}
# zsh completion for ${name}, generated from its command tree by \`${name} completion zsh\`.
# Load it in ~/.zshrc (after compinit):  source <(${name} completion zsh)
${shData(name, nodes)}

${shPath(name)}

_${name}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cmdpath list
  if (( CURRENT > 2 )); then
    list="$(_${name}_choices "$prev")"
    if [[ -n "$list" ]]; then compadd -- \${=list}; return; fi
  fi
  cmdpath="$(_${name}_path "\${(@)words[2,CURRENT-1]}")"
  if (( CURRENT > 2 )) && [[ " $(_${name}_valued "$cmdpath") " == *" $prev "* ]]; then _files; return; fi
  if [[ "$cur" == -* ]]; then
    list="$(_${name}_options "$cmdpath")"
  else
    list="$(_${name}_subcommands "$cmdpath") $(_${name}_operands "$cmdpath")"
  fi
  compadd -- \${=list}
}
compdef _${name} ${name}
`;
}

function fish(name: string, nodes: Node[]): string {
  const fishArms = (pick: (n: Node) => string[]): string =>
    nodes
      .map((n) => `        case ${fq(n.path)}\n            printf '%s\\n' ${pick(n).map(fq).join(' ')}`)
      .join('\n');
  const lines: string[] = [];
  for (const n of nodes) {
    const when = `-n ${fq(`test "$(__${name}_path)" = ${fq(n.path)}`)}`;
    for (const s of n.subcommands)
      lines.push(`complete -c ${name} ${when} -f -a ${fq(s.name)} -d ${fq(s.description.slice(0, 80))}`);
    if (n.operands.length > 0) lines.push(`complete -c ${name} ${when} -f -a ${fq(n.operands.join(' '))}`);
    for (const o of n.options) {
      const flags = o.flags
        .map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`))
        .join(' ');
      const value = o.choices.length > 0 ? ` -x -a ${fq(o.choices.join(' '))}` : o.valued ? ' -r' : '';
      lines.push(`complete -c ${name} ${when} ${flags}${value} -d ${fq(o.description.slice(0, 80))}`);
    }
  }
  return `# fish completion for ${name}, generated from its command tree by \`${name} completion fish\`.
# Load it:  ${name} completion fish > ~/.config/fish/completions/${name}.fish
function __${name}_subcommands
    switch $argv[1]
${fishArms((n) => n.subcommands.map((s) => s.name))}
    end
end

function __${name}_valued
    switch $argv[1]
${fishArms((n) => n.options.filter((o) => o.valued).flatMap((o) => o.flags))}
    end
end

# The command path typed so far: the words that name subcommands, skipping options and their values.
function __${name}_path
    set -l path
    set -l skip 0
    set -l words (commandline -opc)
    set -e words[1]
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
            case '-*'
                contains -- $w (__${name}_valued "$path") ; and set skip 1
            case '*'
                contains -- $w (__${name}_subcommands "$path") ; and set path $path $w
        end
    end
    echo "$path"
end

complete -c ${name} -f
${lines.join('\n')}
`;
}

/** The completion script for a shell, generated from the command tree. */
export function completionScript(shell: CompletionShell, program: Command): string {
  const nodes = commandTree(program);
  const name = program.name();
  if (shell === 'bash') return bash(name, nodes);
  if (shell === 'zsh') return zsh(name, nodes);
  return fish(name, nodes);
}
