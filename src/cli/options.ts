// A command is declared once: name, synopsis, prose, positionals and options.
// Parsing (node:util parseArgs), the TypeScript types of the parsed values,
// the --help text and the machine-readable spec that completions and the man
// page are generated from all come from that one declaration, so they cannot
// drift apart. Pure: no process streams, no exit codes (main.ts decides those).
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';

/** What a shell completer offers for a value. */
export type Completion = 'file' | 'dir' | 'target' | 'entry' | 'format';

interface OptionBase {
  /** Filled to 80 columns in --help; a '\n' is kept as a line break. */
  description: string;
  /** One letter, used as -x. */
  short?: string;
  /** Accepted, but neither listed in --help nor in the spec. */
  hidden?: boolean;
}

export interface BooleanOption extends OptionBase {
  type: 'boolean';
}

export interface StringOption extends OptionBase {
  type: 'string';
  /** The value's name in help and usage: DIR, FILE, T. */
  value: string;
  multiple?: boolean;
  /** The value when the option is absent; shown as "(default …)". */
  default?: string;
  /** The only values accepted; anything else is a usage error. */
  choices?: readonly string[];
  complete?: Completion;
}

export type OptionDeclaration = BooleanOption | StringOption;
export type OptionDeclarations = { readonly [name: string]: OptionDeclaration };

export interface Positional {
  name: string;
  repeatable?: boolean;
  required?: boolean;
  complete?: Completion;
}

/** The rest of the command line belongs to another program. */
export interface ProgramArguments {
  /** '--': after a '--' (shell ROOTFS -- CMD); 'first-positional': xarch's options end at PROGRAM (run). */
  start: '--' | 'first-positional';
  /** How the help shows them: 'CMD [ARGS...]'. */
  usage: string;
  complete?: Completion;
}

export interface CommandDeclaration<O extends OptionDeclarations = OptionDeclarations> {
  /** As typed after 'xarch': 'install', or 'rule check' for a subcommand. */
  name: string;
  /**
   * The synopsis after 'xarch NAME', as written, when the generated one says
   * less; one string per way to call the command, a '\n' continues one.
   */
  usage?: string | readonly string[];
  /** Paragraphs before the options table, as written. */
  description: string;
  positionals?: readonly Positional[];
  options: O;
  /** What --json prints. Every command accepts --json (and --help). */
  json?: string;
  /** Paragraphs after the options table, as written. */
  notes?: string;
  program?: ProgramArguments;
  /** Listed in the help and the spec; the command dispatches on its first argument. */
  subcommands?: readonly CommandDeclaration<OptionDeclarations>[];
}

/** Checks a declaration and keeps its literal types, from which the parsed values are typed. */
export function defineCommand<const O extends OptionDeclarations>(c: CommandDeclaration<O>): CommandDeclaration<O> {
  return c;
}

type ValueOf<O> = O extends { type: 'boolean' } ? boolean
  : O extends { multiple: true } ? string[]
  : O extends { choices: readonly (infer C)[] } ? (O extends { default: string } ? C : C | undefined)
  : O extends { default: string } ? string
  : string | undefined;

/** The parsed values of a declaration's options: absent booleans are false, absent lists empty. */
export type Values<O extends OptionDeclarations> = { -readonly [K in keyof O]: ValueOf<O[K]> } & { help: boolean; json: boolean };

export interface Parsed<O extends OptionDeclarations> {
  values: Values<O>;
  positionals: string[];
  /** The other program's command line (ProgramArguments); empty when there is none. */
  rest: string[];
}

const ALWAYS: OptionDeclarations = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'JSON output' },
};

function allOptions(c: CommandDeclaration): [string, OptionDeclaration][] {
  return Object.entries({ ...c.options, ...ALWAYS });
}

/** xarch's own arguments and the other program's, split where the declaration says. */
export function splitArguments(c: CommandDeclaration, argv: readonly string[]): { own: string[]; rest: string[] } {
  if (c.program?.start === '--') {
    const dd = argv.indexOf('--');
    return dd === -1 ? { own: [...argv], rest: [] } : { own: argv.slice(0, dd), rest: argv.slice(dd + 1) };
  }
  if (c.program?.start === 'first-positional') {
    const takesValue = new Set(allOptions(c).filter(([, o]) => o.type === 'string').flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]));
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') return { own: argv.slice(0, i), rest: argv.slice(i + 1) };
      if (!a.startsWith('-')) break;
      if (takesValue.has(a)) i++;
    }
    return { own: argv.slice(0, i), rest: argv.slice(i) };
  }
  return { own: [...argv], rest: [] };
}

/** --help or -h among xarch's own arguments (before '--'; never the other program's). */
export function wantsHelp(c: CommandDeclaration, argv: readonly string[]): boolean {
  const { own } = splitArguments(c, argv);
  const dd = own.indexOf('--');
  return (dd === -1 ? own : own.slice(0, dd)).some((a) => a === '--help' || a === '-h');
}

export function parseCommand<O extends OptionDeclarations>(c: CommandDeclaration<O>, argv: readonly string[]): Parsed<O> {
  const { own, rest } = splitArguments(c, argv);
  const options = Object.fromEntries(allOptions(c).map(([n, o]) => [n, o.type === 'boolean'
    ? { type: 'boolean' as const, ...(o.short ? { short: o.short } : {}) }
    : { type: 'string' as const, multiple: !!o.multiple, ...(o.short ? { short: o.short } : {}) }]));
  const allowPositionals = (c.positionals?.length ?? 0) > 0;
  let r: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    r = parseArgs({ args: own, options, allowPositionals, strict: true });
  } catch (e) {
    throw usageError(c, e);
  }
  const values: Record<string, unknown> = { ...r.values };
  for (const [name, o] of allOptions(c)) {
    const v = values[name];
    if (v === undefined) values[name] = o.type === 'boolean' ? false : o.multiple ? [] : o.default;
    else if (o.type === 'string' && o.choices) {
      for (const x of Array.isArray(v) ? v : [v]) {
        if (!o.choices.includes(String(x))) throw new UsageError(`--${name} is ${orList(o.choices)}, not '${String(x)}'`);
      }
    }
  }
  return { values: values as Values<O>, positionals: r.positionals, rest };
}

function usageError(c: CommandDeclaration, e: unknown): UsageError {
  const err = e as Error & { code?: string };
  const msg = err.message.replace(/^TypeError \[[A-Z_]+\]: /, '');
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(msg)?.[1] ?? msg;
    const close = closestOption(c, flag);
    return new UsageError(`unknown option '${flag}' for 'xarch ${c.name}'${close ? ` (did you mean ${close}?)` : ''}`);
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new UsageError(`'xarch ${c.name}' takes no arguments, not '${/'([^']+)'/.exec(msg)?.[1] ?? ''}'`);
  }
  const name = /'-(-[^' =]+|[^-' ])/.exec(msg)?.[1]?.replace(/^-/, '');
  const o = name === undefined ? undefined : allOptions(c).find(([n, d]) => n === name || d.short === name);
  if (o?.[1].type === 'boolean') return new UsageError(`--${o[0]} takes no value`);
  if (o?.[1].type === 'string') return new UsageError(`--${o[0]} needs a value (--${o[0]} ${o[1].value}; --${o[0]}=${o[1].value} for one starting with '-')`);
  return new UsageError(msg.split('\n')[0]!);
}

function closestOption(c: CommandDeclaration, flag: string): string | undefined {
  const typed = flag.replace(/^-+/, '').split('=')[0]!;
  let best: { name: string; d: number } | undefined;
  for (const [name, o] of allOptions(c)) {
    if (o.hidden) continue;
    const d = editDistance(typed, name);
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best && `--${best.name}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function orList(xs: readonly string[]): string {
  return xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}` : xs.join('');
}

// ---- help text -------------------------------------------------------------

const WIDTH = 80;

/**
 * Pieces (each with the separator that follows it) laid into lines of at most
 * `width` columns; continuation lines start with `indent`.
 */
function fill(pieces: readonly string[], lead: string, indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = lead;
  for (const piece of pieces) {
    if (line.trim() !== '' && line.length + piece.trimEnd().length > width) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += piece;
  }
  return [...lines, line.trimEnd()];
}

/** Text after `first`, broken after a space or a comma (JSON key lists have no spaces) to fit `width`. */
export function wrap(first: string, text: string, indent: string, width = WIDTH): string {
  return fill(text.match(/[^ ,]*[ ,]*/g)!.filter(Boolean), first, indent, width).join('\n');
}

function positionalUsage(p: Positional): string {
  const s = p.name + (p.repeatable ? '...' : '');
  return p.required ? s : `[${s}]`;
}

function optionUsage(name: string, o: OptionDeclaration): string {
  if (o.type === 'boolean') return `[--${name}]`;
  const value = o.choices ? o.choices.join('|') : o.value;
  return `[--${name} ${value}]${o.multiple ? '...' : ''}`;
}

/** The generated synopsis, word by word: positionals and options in declaration order. */
function synopsisWords(c: CommandDeclaration): string[] {
  const positionals = (c.positionals ?? []).map(positionalUsage);
  const options = Object.entries(c.options).filter(([, o]) => !o.hidden).map(([n, o]) => optionUsage(n, o));
  options.push('[--json]');
  return c.program?.start === 'first-positional'
    ? [...positionals, ...options, c.program.usage]
    : [...positionals, ...options, ...(c.program ? [`[-- ${c.program.usage}]`] : [])];
}

/** Each way to call the command, after 'xarch NAME ', on one line. */
export function synopses(c: CommandDeclaration): string[] {
  if (c.usage === undefined) return [synopsisWords(c).join(' ')];
  return (typeof c.usage === 'string' ? [c.usage] : c.usage).map((u) => u.split(/\s+/).join(' '));
}

function usageLines(c: CommandDeclaration): string {
  let first = true;
  const lines = (c.subcommands?.length ? c.subcommands : [c]).flatMap((sub) => {
    const declared = sub.usage === undefined ? undefined : typeof sub.usage === 'string' ? [sub.usage] : sub.usage;
    return (declared ?? [null]).map((u) => {
      const head = (first ? 'Usage: xarch ' : '       xarch ') + sub.name;
      first = false;
      // Continuation lines line up after the command's name ('xarch rule derive ').
      const indent = ' '.repeat(head.length + 1);
      if (u === null) return fill(synopsisWords(sub).map((w) => w + ' '), head + ' ', indent, WIDTH).join('\n');
      return u.split('\n').map((l, i) => (i === 0 ? `${head} ${l}` : indent + l)).join('\n');
    });
  });
  return lines.join('\n') + '\n';
}

function optionCell(name: string, o: OptionDeclaration): string {
  return `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value}` : ''}`;
}

function optionText(o: OptionDeclaration): string {
  let s = o.description;
  if (o.type === 'string' && o.multiple) s += ' (repeatable)';
  if (o.type === 'string' && o.default !== undefined) s += ` (default ${o.default})`;
  return s;
}

/**
 * The aligned options table of a declaration, --json last; indented by
 * `margin`. Descriptions are filled to the width; a line break in one is
 * kept (JSON shapes broken where they read best).
 */
function optionsTable(c: CommandDeclaration, margin: string): string {
  const rows = Object.entries(c.options).filter(([, o]) => !o.hidden).map(([n, o]) => [optionCell(n, o), optionText(o)] as const);
  if (c.json !== undefined) rows.push(['--json', c.json]);
  if (!rows.length) return '';
  const left = Math.max(...rows.map(([cell]) => cell.length));
  const indent = ' '.repeat(margin.length + 2 + left + 2);
  const lead = (cell: string) => `${margin}  ${cell.padEnd(left)}  `;
  return rows.map(([cell, text]) => (text.includes('\n')
    ? text.split('\n').map((line, i) => {
      const own = indent + line.match(/^ */)![0];
      return wrap(i === 0 ? lead(cell) : own, line.trimStart(), own);
    })
    : [wrap(lead(cell), text, indent)]
  ).join('\n')).join('\n') + '\n';
}

function prose(text: string | undefined, margin = ''): string {
  const t = (text ?? '').replace(/^\n+|\s+$/g, '');
  return t ? t.split('\n').map((l) => (l ? margin + l : l)).join('\n') + '\n' : '';
}

/** A subcommand's block in its parent's help: the name in the margin, then its prose and options. */
function subcommandBlock(c: CommandDeclaration): string {
  const margin = ' '.repeat(8);
  const word = c.name.split(' ').pop()!;
  const body = [prose(c.description, margin), optionsTable(c, margin)].filter(Boolean).join('\n');
  return word.padEnd(margin.length - 1) + ' ' + body.slice(margin.length);
}

/** The --help text, generated from the declaration. */
export function renderHelp(c: CommandDeclaration): string {
  const parts = [usageLines(c), prose(c.description), optionsTable(c, ''), ...(c.subcommands ?? []).map(subcommandBlock), prose(c.notes)];
  return parts.filter(Boolean).join('\n');
}

// ---- machine-readable spec -------------------------------------------------

export interface OptionSpec {
  name: string;
  short: string | null;
  type: 'boolean' | 'string';
  multiple: boolean;
  value: string | null;
  description: string;
  default: string | null;
  choices: string[] | null;
  complete: Completion | null;
}

export interface CommandSpec {
  name: string;
  summary: string | null;
  /** Each way to call it, after 'xarch NAME '. */
  usage: string[];
  description: string[];
  notes: string[];
  positionals: { name: string; repeatable: boolean; required: boolean; complete: Completion | null }[];
  /** Every option the parser accepts but hidden ones, --help and --json included. */
  options: OptionSpec[];
  json: string | null;
  program: { start: ProgramArguments['start']; usage: string; complete: Completion | null } | null;
  subcommands: CommandSpec[];
}

function paragraphs(text: string | undefined): string[] {
  return (text ?? '').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
}

/** The declaration as plain JSON data, for shell completions and a man page. */
export function commandSpec(c: CommandDeclaration, summary: string | null = null): CommandSpec {
  return {
    name: c.name,
    summary,
    usage: synopses(c),
    description: paragraphs(c.description),
    notes: paragraphs(c.notes),
    positionals: (c.positionals ?? []).map((p) => ({ name: p.name, repeatable: !!p.repeatable, required: !!p.required, complete: p.complete ?? null })),
    options: allOptions(c).filter(([, o]) => !o.hidden).map(([name, o]) => ({
      name,
      short: o.short ?? null,
      type: o.type,
      multiple: o.type === 'string' && !!o.multiple,
      value: o.type === 'string' ? o.value : null,
      description: name === 'json' && c.json !== undefined ? c.json : o.description,
      default: o.type === 'string' ? o.default ?? null : null,
      choices: o.type === 'string' && o.choices ? [...o.choices] : null,
      complete: o.type === 'string' ? o.complete ?? null : null,
    })),
    json: c.json ?? null,
    program: c.program ? { start: c.program.start, usage: c.program.usage, complete: c.program.complete ?? null } : null,
    subcommands: (c.subcommands ?? []).map((s) => commandSpec(s)),
  };
}
