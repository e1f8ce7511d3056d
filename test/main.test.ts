import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main, COMMANDS, commandSpecs, type CommandModule } from '../src/cli/main.js';
import { bufferIo } from '../src/cli/io.js';
import type { CommandDeclaration } from '../src/cli/options.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, xarch } from './helpers/env.js';

test('--version prints the package version and exits 0', () => {
  const r = xarch(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^xarch \d+\.\d+\.\d+\n$/);
});

test('no command prints usage and exits 2', async () => {
  const io = bufferIo();
  assert.equal(await main([], io), 2);
  assert.match(io.stdout, /Usage: xarch COMMAND/);
});

test('unknown command is a usage error with a suggestion', async () => {
  const io = bufferIo();
  assert.equal(await main(['instal'], io), 2);
  assert.match(io.stderr, /unknown command 'instal'.*install/);
});

test('--help lists every command with the summary of its table entry', async () => {
  const io = bufferIo();
  assert.equal(await main(['--help'], io), 0);
  for (const [name, c] of Object.entries(COMMANDS)) assert.match(io.stdout, new RegExp(`^  ${name} +${c.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
});

for (const name of Object.keys(COMMANDS)) {
  test(`xarch ${name} --help exits 0 with a usage line`, async () => {
    const io = bufferIo();
    assert.equal(await main([name, '--help'], io), 0);
    assert.match(io.stdout, new RegExp(`Usage: xarch ${name}`));
    const viaHelp = bufferIo();
    assert.equal(await main(['help', name], viaHelp), 0);
    assert.equal(viaHelp.stdout, io.stdout);
  });
  test(`xarch ${name} rejects an unknown flag with exit 2`, async () => {
    const io = bufferIo();
    assert.equal(await main([name, '--no-such-flag'], io), 2);
    assert.match(io.stderr, /no-such-flag/);
    assert.doesNotMatch(io.stderr, /\n\s+at /, 'no stack trace');
  });
}

/** Every command and subcommand, as typed after 'xarch'. */
async function everyDeclaration(): Promise<CommandDeclaration[]> {
  const mods: CommandModule[] = await Promise.all(Object.values(COMMANDS).map((c) => c.load()));
  return mods.flatMap((m) => (m.command.subcommands?.length ? [...m.command.subcommands] : [m.command]));
}

test('an unknown flag is one line naming it, with the command\'s --help as the hint, for every command and subcommand', async () => {
  for (const c of await everyDeclaration()) {
    const io = bufferIo();
    assert.equal(await main([...c.name.split(' '), '--no-such-flag'], io), 2, c.name);
    assert.equal(io.stderr, `xarch: unknown option '--no-such-flag' for 'xarch ${c.name}'\n  hint: run 'xarch ${c.name.split(' ')[0]} --help'\n`);
  }
  const io = bufferIo();
  assert.equal(await main(['install', '--dyr-run'], io), 2);
  assert.match(io.stderr, /unknown option '--dyr-run' for 'xarch install' \(did you mean --dry-run\?\)/);
});

test('a value missing, a value given to a boolean, a value outside the choices, an argument to a command without any: usage errors', async () => {
  const cases: [string[], RegExp][] = [
    [['which', '--binfmt-dir'], /^xarch: --binfmt-dir needs a value \(--binfmt-dir DIR;/],
    [['install', '--force=yes'], /^xarch: --force takes no value\n/],
    [['verify', '--engine', 'lxc'], /^xarch: --engine is docker or podman, not 'lxc'\n/],
    [['export', '--format=yaml'], /^xarch: export needs --format binfmt.d, debian, json, systemd-unit or kubernetes\n/],
    [['status', 'extra'], /^xarch: 'xarch status' takes no arguments, not 'extra'\n/],
  ];
  for (const [argv, re] of cases) {
    const io = bufferIo();
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.match(io.stderr, re);
    assert.match(io.stderr, new RegExp(`hint: run 'xarch ${argv[0]} --help'\n$`));
  }
});

test('every command\'s help is generated from its declaration and lists every declared option', async () => {
  const specs = await commandSpecs();
  assert.deepEqual(specs.map((s) => s.name), Object.keys(COMMANDS));
  for (const spec of specs) {
    const io = bufferIo();
    assert.equal(await main([spec.name, '--help'], io), 0);
    for (const c of spec.subcommands.length ? spec.subcommands : [spec]) {
      assert.match(io.stdout, new RegExp(`^(Usage: |       )xarch ${c.name}\\b`, 'm'), c.name);
      for (const o of c.options) {
        if (o.name === 'help') continue;
        const value = o.value ? ` ${o.value.replace(/[[\]().*+?|]/g, '\\$&')}` : '';
        assert.match(io.stdout, new RegExp(`^ +${o.short ? `-${o.short}, ` : ''}--${o.name}${value}  +\\S`, 'm'), `${c.name} --${o.name} in its help`);
        const usage = c.usage.join('\n');
        if (!usage.includes('[options]')) assert.match(usage, new RegExp(`--${o.name}\\b`), `${c.name} --${o.name} in its usage`);
      }
    }
  }
});

test('pass-through commands: --help after PROGRAM or after -- is the other program\'s', async () => {
  for (const argv of [['run', '/nonexistent/program', '--help'], ['shell', '/nonexistent/root', '--', 'sh', '--help'], ['run', '--', '-h']]) {
    const io = bufferIo();
    const code = await main(argv, io);
    assert.doesNotMatch(io.stdout, /Usage: xarch/, argv.join(' '));
    assert.notEqual(code, 0, argv.join(' '));
  }
  for (const argv of [['run', '--arch', 'arm64', '--help', 'prog'], ['shell', 'root', '--help', '--', 'sh']]) {
    const io = bufferIo();
    assert.equal(await main(argv, io), 0);
    assert.match(io.stdout, new RegExp(`^Usage: xarch ${argv[0]}`));
  }
});
