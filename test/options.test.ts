// src/cli/options.ts: one declaration gives the parser, the value types, the
// help text and the spec. The type checks below are compile-time: with a
// wrong inferred type `tsc -p .` fails before any test runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, commandSpecs, type CommandModule } from '../src/cli/main.js';
import { UsageError } from '../src/cli/io.js';
import {
  commandSpec, defineCommand, parseCommand, renderHelp, splitArguments, wantsHelp,
  type CommandDeclaration, type Completion, type OptionDeclarations, type Values,
} from '../src/cli/options.js';
import { DEFAULT_BINFMT_DIR } from '../src/host/kernel.js';
import type * as apply from '../src/cli/commands/apply.js';
import type * as arches from '../src/cli/commands/arches.js';
import type * as disable from '../src/cli/commands/disable.js';
import type * as doctor from '../src/cli/commands/doctor.js';
import type * as emulators from '../src/cli/commands/emulators.js';
import type * as enable from '../src/cli/commands/enable.js';
import type * as exportCommand from '../src/cli/commands/export.js';
import type * as inspect from '../src/cli/commands/inspect.js';
import type * as install from '../src/cli/commands/install.js';
import type * as rule from '../src/cli/commands/rule.js';
import type * as run from '../src/cli/commands/run.js';
import type * as scan from '../src/cli/commands/scan.js';
import type * as shell from '../src/cli/commands/shell.js';
import type * as status from '../src/cli/commands/status.js';
import type * as uninstall from '../src/cli/commands/uninstall.js';
import type * as verify from '../src/cli/commands/verify.js';
import type * as which from '../src/cli/commands/which.js';

// ---- compile time ----------------------------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
/** true when no parsed value of the declaration is typed `any`. */
type NoAny<C> = C extends CommandDeclaration<infer O> ? ({ [K in keyof Values<O>]-?: IsAny<Values<O>[K]> }[keyof Values<O>] extends false ? true : false) : false;
function expectType<T extends true>(): T | void {}

const demo = defineCommand({
  name: 'demo',
  description: 'A command for the tests.',
  positionals: [{ name: 'FILE', repeatable: true }],
  options: {
    flag: { type: 'boolean', short: 'f', description: 'a switch' },
    one: { type: 'string', value: 'X', description: 'one value' },
    many: { type: 'string', value: 'X', multiple: true, description: 'a list' },
    dflt: { type: 'string', value: 'DIR', default: '/d', description: 'with a default' },
    pick: { type: 'string', value: 'E', choices: ['docker', 'podman'], description: 'one of two' },
  },
  json: 'one line',
});
type DemoValues = Values<typeof demo.options>;
expectType<Equal<DemoValues['flag'], boolean>>();
expectType<Equal<DemoValues['one'], string | undefined>>();
expectType<Equal<DemoValues['many'], string[]>>();
expectType<Equal<DemoValues['dflt'], string>>();
expectType<Equal<DemoValues['pick'], 'docker' | 'podman' | undefined>>();
expectType<Equal<DemoValues['help'], boolean>>();
expectType<Equal<DemoValues['json'], boolean>>();
// @ts-expect-error a boolean is not a string
expectType<Equal<DemoValues['flag'], string | undefined>>();
// @ts-expect-error an option without a default may be absent
expectType<Equal<DemoValues['one'], string>>();
function undeclared(v: DemoValues): unknown {
  // @ts-expect-error an option that is not declared is not a property
  return v.nope;
}
void undeclared;

// Every real command: no parsed value is `any` (the old parseCommand typed them all `any`).
expectType<NoAny<typeof apply.command>>();
expectType<NoAny<typeof arches.command>>();
expectType<NoAny<typeof disable.command>>();
expectType<NoAny<typeof doctor.command>>();
expectType<NoAny<typeof emulators.command>>();
expectType<NoAny<typeof enable.command>>();
expectType<NoAny<typeof exportCommand.command>>();
expectType<NoAny<typeof inspect.command>>();
expectType<NoAny<typeof install.command>>();
expectType<NoAny<typeof rule.command>>();
expectType<NoAny<typeof run.command>>();
expectType<NoAny<typeof scan.command>>();
expectType<NoAny<typeof shell.command>>();
expectType<NoAny<typeof status.command>>();
expectType<NoAny<typeof uninstall.command>>();
expectType<NoAny<typeof verify.command>>();
expectType<NoAny<typeof which.command>>();
expectType<Equal<Values<typeof install.command.options>['dir'], string[]>>();
expectType<Equal<Values<typeof install.command.options>['binfmt-dir'], string>>();
expectType<Equal<Values<typeof verify.command.options>['engine'], 'docker' | 'podman' | undefined>>();
expectType<IsAny<Values<OptionDeclarations>[string]> extends false ? true : false>();

// ---- run time --------------------------------------------------------------

test('parsed values have the declared types: absent booleans false, absent lists empty, defaults filled', () => {
  const none = parseCommand(demo, []);
  assert.deepEqual({ ...none.values }, { flag: false, one: undefined, many: [], dflt: '/d', pick: undefined, help: false, json: false });
  const all = parseCommand(demo, ['-f', '--one', 'a', '--many', 'b', '--many=c', '--dflt', '/x', '--pick', 'podman', '--json', 'p1', 'p2']);
  assert.deepEqual({ ...all.values }, { flag: true, one: 'a', many: ['b', 'c'], dflt: '/x', pick: 'podman', help: false, json: true });
  assert.deepEqual(all.positionals, ['p1', 'p2']);
  assert.deepEqual(all.rest, []);
  assert.throws(() => parseCommand(demo, ['--pick', 'lxc']), (e: unknown) => e instanceof UsageError && e.message === "--pick is docker or podman, not 'lxc'");
  assert.throws(() => parseCommand(demo, ['--onw', 'x']), (e: unknown) => e instanceof UsageError && /unknown option '--onw' for 'xarch demo' \(did you mean --one\?\)/.test(e.message));
});

async function everyDeclaration(): Promise<CommandDeclaration[]> {
  const mods: CommandModule[] = await Promise.all(Object.values(COMMANDS).map((c) => c.load()));
  return mods.flatMap((m) => (m.command.subcommands?.length ? [...m.command.subcommands] : [m.command]));
}

test('every command: each declared option parses to its declared type, given and absent', async () => {
  for (const c of await everyDeclaration()) {
    const argv: string[] = [];
    for (const [name, o] of Object.entries(c.options)) {
      if (o.type === 'boolean') argv.push(`--${name}`);
      else for (let i = 0; i < (o.multiple ? 2 : 1); i++) argv.push(`--${name}`, o.choices?.[i % o.choices.length] ?? `v${i}`);
    }
    argv.push('--json');
    const positionals = (c.positionals ?? []).map((p) => p.name.toLowerCase());
    const program = c.program ? (c.program.start === '--' ? ['--', 'cmd', '--help'] : ['prog', '--help']) : [];
    const given = parseCommand(c, [...argv, ...positionals, ...program]);
    const absent = parseCommand(c, [...positionals, ...program]);
    for (const [name, o] of Object.entries(c.options)) {
      const [g, a] = [given.values[name], absent.values[name]];
      if (o.type === 'boolean') {
        assert.equal(g, true, `${c.name} --${name}`);
        assert.equal(a, false, `${c.name} --${name} absent`);
      } else if (o.multiple) {
        assert.ok(Array.isArray(g) && g.length === 2 && g.every((x) => typeof x === 'string'), `${c.name} --${name}`);
        assert.deepEqual(a, [], `${c.name} --${name} absent`);
      } else {
        assert.equal(typeof g, 'string', `${c.name} --${name}`);
        assert.equal(a, o.default, `${c.name} --${name} absent`);
      }
    }
    assert.equal(given.values.json, true);
    assert.equal(given.values.help, false, `${c.name}: --help after the other program's arguments is theirs`);
    assert.deepEqual(given.positionals, c.program?.start === 'first-positional' ? [] : positionals, c.name);
    assert.deepEqual(given.rest, program.filter((a) => a !== '--'), c.name);
  }
});

test('where another program\'s arguments begin: after -- (shell), at PROGRAM (run), values of options skipped', async () => {
  const shell = (await COMMANDS.shell!.load()).command;
  const run = (await COMMANDS.run!.load()).command;
  assert.deepEqual(splitArguments(shell, ['root', '--arch', 'arm64', '--', 'sh', '-c', 'x']), { own: ['root', '--arch', 'arm64'], rest: ['sh', '-c', 'x'] });
  assert.deepEqual(splitArguments(run, ['--arch', 'arm64', '--dry-run', 'prog', '--arch', 'x']), { own: ['--arch', 'arm64', '--dry-run'], rest: ['prog', '--arch', 'x'] });
  assert.deepEqual(splitArguments(run, ['--sysroot=/r', '--', '-prog', 'a']), { own: ['--sysroot=/r'], rest: ['-prog', 'a'] });
  assert.equal(wantsHelp(run, ['prog', '--help']), false);
  assert.equal(wantsHelp(run, ['-h', 'prog']), true);
  assert.equal(wantsHelp(shell, ['root', '--', 'sh', '--help']), false);
  assert.equal(wantsHelp(demo, ['a', '--', '--help']), false);
  assert.equal(wantsHelp(demo, ['a', '--help']), true);
});

test('help text: usage from the declaration, options aligned, --json last, defaults and repeatable shown, hidden options left out', () => {
  const help = renderHelp(defineCommand({ ...demo, options: { ...demo.options, secret: { type: 'boolean', hidden: true, description: 'x' } }, notes: 'Exit 1 on failure.' }));
  assert.equal(help, `Usage: xarch demo [FILE...] [-f] [--one X] [--many X]... [--dflt DIR]
                  [--pick docker|podman] [--json]

A command for the tests.

  -f, --flag  a switch
  --one X     one value
  --many X    a list (repeatable)
  --dflt DIR  with a default (default /d)
  --pick E    one of two
  --json      one line

Exit 1 on failure.
`.replace('[-f]', '[--flag]'));
});

test('every command\'s help: within 80 columns (but for a word longer than a line), one description column per table', async () => {
  for (const c of await everyDeclaration()) {
    const help = renderHelp(c);
    const rows = help.split('\n').filter((l) => /^ +(-\w, )?--[a-z]/.test(l));
    const columns = new Set(rows.map((l) => /^( +\S+(?: [^\s-]\S*)? +)\S/.exec(l)![1]!.length));
    assert.equal(columns.size, 1, `${c.name}: one description column\n${rows.join('\n')}`);
    for (const line of help.split('\n')) assert.ok(line.length <= 80 || !line.trim().includes(' '), `${c.name}: ${line}`);
  }
});

test('the spec: plain JSON, one entry per command of the table with its summary, names and short letters unique', async () => {
  const specs = await commandSpecs();
  assert.deepEqual(JSON.parse(JSON.stringify(specs)), specs);
  const completions: (Completion | null)[] = ['file', 'dir', 'target', 'entry', 'format', null];
  for (const s of specs) {
    assert.equal(s.summary, COMMANDS[s.name]!.summary);
    for (const c of [s, ...s.subcommands]) {
      const names = c.options.map((o) => o.name);
      assert.deepEqual(names.slice(-2), ['help', 'json'], c.name);
      assert.equal(new Set(names).size, names.length, `${c.name}: option names unique`);
      const shorts = c.options.flatMap((o) => (o.short ? [o.short] : []));
      assert.equal(new Set(shorts).size, shorts.length, `${c.name}: short letters unique`);
      for (const o of c.options) {
        assert.ok(completions.includes(o.complete), `${c.name} --${o.name}: ${o.complete}`);
        if (o.type === 'boolean') assert.deepEqual([o.value, o.default, o.choices, o.multiple], [null, null, null, false], `${c.name} --${o.name}`);
        else assert.match(o.value!, /^\S+$/, `${c.name} --${o.name}`);
      }
      for (const p of c.positionals) assert.ok(completions.includes(p.complete), `${c.name} ${p.name}`);
    }
  }
  const verify = specs.find((s) => s.name === 'verify')!;
  assert.deepEqual(verify.options.find((o) => o.name === 'engine')!.choices, ['docker', 'podman']);
  assert.equal(verify.options.find((o) => o.name === 'binfmt-dir')!.default, DEFAULT_BINFMT_DIR);
  const enable = specs.find((s) => s.name === 'enable')!;
  assert.equal(enable.options.find((o) => o.name === 'etc-dir'), undefined, 'hidden');
  assert.deepEqual(specs.find((s) => s.name === 'rule')!.subcommands.map((c) => c.name), ['rule check', 'rule lint', 'rule derive']);
  assert.deepEqual(specs.find((s) => s.name === 'run')!.program, { start: 'first-positional', usage: 'PROGRAM [ARGS...]', complete: 'file' });
  assert.deepEqual(commandSpec(demo).positionals, [{ name: 'FILE', repeatable: true, required: false, complete: null }]);
});
