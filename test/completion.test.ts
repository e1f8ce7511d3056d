// Shell completions: the generated scripts loaded into the real shells and
// asked what they offer, the way the shell asks them on TAB (bash: the
// function with COMP_WORDS/COMP_CWORD set; fish: complete -C; zsh: through
// bashcompinit). What every form must offer comes from the declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandSpecs } from '../src/cli/main.js';
import { allNames } from '../src/core/arch.js';
import { FORMATS } from '../src/formats/registry.js';
import { CLI, inSandbox, needCommand, needSandbox, xarch } from './helpers/env.js';

// `xarch` on PATH, as an installed one is: the scripts call it back by that name.
const bin = mkdtempSync(path.join(os.tmpdir(), 'xarch-completion-'));
symlinkSync(CLI, path.join(bin, 'xarch'));
process.on('exit', () => rmSync(bin, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Each command line (words up to and including the one under the cursor) → what bash offers, one list per line. */
function bashOffers(lines: string[][], via: 'bash' | 'sandbox' = 'bash', setup = ''): string[][] {
  const script = [
    'source <(xarch completion bash) || exit 9',
    setup,
    ...lines.map((w) => `COMP_WORDS=(${w.map(q).join(' ')}); COMP_CWORD=${w.length - 1}; COMPREPLY=(); _xarch; echo "\${COMPREPLY[*]}"`),
  ].join('\n');
  const r = via === 'bash'
    ? spawnSync('bash', ['-c', script], { encoding: 'utf8', env, cwd: bin })
    : inSandbox(['bash', '-c', script], { env, cwd: bin });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.split('\n').slice(0, lines.length);
  return out.map((l) => l.split(' ').filter(Boolean));
}

test('completion: usage errors are one line with a hint, exit 2', () => {
  for (const args of [['completion'], ['completion', 'tcsh'], ['completion', 'bash', 'zsh'], ['completion', '--values', 'shells']]) {
    const r = xarch(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^xarch: .*\n  hint: run 'xarch completion --help'\n$/);
  }
});

test('completion --values: targets are the catalogue, formats the registry; --json an array', () => {
  assert.deepEqual(xarch(['completion', '--values', 'target']).stdout.trim().split('\n'), allNames());
  assert.deepEqual(JSON.parse(xarch(['completion', '--values', 'format', '--json']).stdout), FORMATS.map((f) => f.name));
  const none = xarch(['completion', '--values', 'entry', '--binfmt-dir', '/nonexistent']);
  assert.equal(none.status, 0);
  assert.equal(none.stdout, '', 'no instance: no names, and no noise at TAB time');
});

test('bash: registered for xarch; every command, subcommand and flag of every form is offered, as declared', { skip: needCommand('bash', 'bash') }, async () => {
  const specs = await commandSpecs();
  const r = spawnSync('bash', ['-c', 'source <(xarch completion bash) && complete -p xarch'], { encoding: 'utf8', env });
  assert.equal(r.stdout.trim(), 'complete -F _xarch xarch');
  const forms: { words: string[]; flags: string[]; subs: string[] }[] = [];
  for (const c of specs) {
    const own = c.subcommands.find((s) => s.name === c.name) ?? c;
    const subs = c.subcommands.filter((s) => s !== own);
    forms.push({ words: [c.name], flags: own.options.map((o) => `--${o.name}`), subs: subs.map((s) => s.name.split(' ')[1]!) });
    for (const s of subs) forms.push({ words: s.name.split(' '), flags: s.options.map((o) => `--${o.name}`), subs: [] });
  }
  const [commands, ...offers] = bashOffers([['xarch', ''], ...forms.flatMap((f) => [['xarch', ...f.words, '--'], ['xarch', ...f.words, '']])]);
  assert.deepEqual(commands, specs.map((c) => c.name));
  forms.forEach((f, i) => {
    const flags = offers[2 * i]!;
    const words = offers[2 * i + 1]!;
    assert.deepEqual(flags, f.flags.filter((x) => x.startsWith('--')), `xarch ${f.words.join(' ')} --<TAB>`);
    for (const s of f.subs) assert.ok(words.includes(s), `xarch ${f.words.join(' ')} <TAB> offers ${s}`);
  });
});

test('bash: values: targets, formats, choices, --opt=value, files; another program\'s arguments are files', { skip: needCommand('bash', 'bash') }, () => {
  const cases: [string[], (o: string[]) => void][] = [
    [['xarch', 'install', 'armh'], (o) => assert.deepEqual(o, ['armhf'])],
    [['xarch', 'arches', 'linux/arm6'], (o) => assert.deepEqual(o, ['linux/arm64', 'linux/arm64/v8'])],
    [['xarch', 'scan', '--expect', 'aarch64_'], (o) => assert.deepEqual(o, ['aarch64_be'])],
    [['xarch', 'export', '--format', ''], (o) => assert.deepEqual(o, FORMATS.map((f) => f.name))],
    [['xarch', 'verify', '--engine', ''], (o) => assert.deepEqual(o, ['docker', 'podman'])],
    [['xarch', 'verify', '--engine=po'], (o) => assert.deepEqual(o, ['podman'])],
    [['xarch', 'emulators', 'use', 'SETID', 'arm6'], (o) => assert.deepEqual(o, ['arm64', 'arm64/v8'])],
    [['xarch', 'emulators', 'a'], (o) => assert.deepEqual(o, ['add'])],
    [['xarch', 'emulators', 'add', '--st'], (o) => assert.deepEqual(o, ['--store'])],
    [['xarch', 'rule', ''], (o) => assert.deepEqual(o, ['check', 'lint', 'derive'])],
    // A value is not a positional: after --binfmt-dir DIR, which takes the next word, TARGET comes first.
    [['xarch', 'verify', '--binfmt-dir', '/tmp', 's390'], (o) => assert.deepEqual(o, ['s390x'])],
    [['xarch', 'which', 'xar'], (o) => assert.deepEqual(o, ['xarch'])],
    [['xarch', 'which', '--binfmt-dir', ''], (o) => assert.deepEqual(o, [])],
    [['xarch', 'run', '--arch', 'aarch64', 'xar'], (o) => assert.deepEqual(o, ['xarch'])],
    [['xarch', 'run', '--arch', 'aarch64', '/bin/true', '--ver'], (o) => assert.deepEqual(o, [])],
    [['xarch', 'shell', '/', '--', 'xar'], (o) => assert.deepEqual(o, ['xarch'])],
    [['xarch', '--ver'], (o) => assert.deepEqual(o, ['--version'])],
    [['xarch', 'nosuchcommand', ''], (o) => assert.deepEqual(o, [])],
  ];
  const offers = bashOffers(cases.map(([w]) => w));
  cases.forEach(([w, check], i) => {
    try {
      check(offers[i]!);
    } catch (e) {
      throw new Error(`${w.join(' ')}<TAB>: ${(e as Error).message}`);
    }
  });
});

const REGISTER = "echo ':xarch-compl-test:E::xarchcompltest::/bin/true:' > /proc/sys/fs/binfmt_misc/register || exit 8";

test('bash: entry names are the live instance\'s, asked at TAB time (private binfmt_misc instance)', { skip: needCommand('bash', 'bash') || needSandbox() }, () => {
  const offers = bashOffers([['xarch', 'uninstall', ''], ['xarch', 'disable', 'xarch-c'], ['xarch', 'export', '--format', 'json', 'x']], 'sandbox', REGISTER);
  assert.deepEqual(offers, [['xarch-compl-test'], ['xarch-compl-test'], ['xarch-compl-test']]);
});

test('fish: complete -C offers commands, subcommands with their summaries, flags, values and entries', { skip: needCommand('fish', 'fish') || needSandbox() }, () => {
  const ask = ['xarch em', 'xarch emulators ', 'xarch emulators add --st', 'xarch verify --engine ', 'xarch install armh', 'xarch export --format kub', 'xarch uninstall ', 'xarch --vers'];
  const script = `xarch completion fish | source; or exit 9\n${REGISTER}\n${ask.map((a) => `complete -C${q(a)}; echo '#'`).join('\n')}`;
  const r = inSandbox(['fish', '-c', script], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const answers = r.stdout.split('#\n').map((a) => a.split('\n').filter(Boolean).map((l) => l.split('\t')[0]));
  assert.deepEqual(answers.slice(0, ask.length), [
    ['emulators'],
    ['add', 'gc', 'list', 'remove', 'rollback', 'use'],
    ['--store'],
    ['docker', 'podman'],
    ['armhf'],
    ['kubernetes'],
    ['xarch-compl-test'],
    ['--version'],
  ]);
  assert.match(r.stdout, /^emulators\tfind QEMU user-mode emulators/m, 'a command carries its summary');
});

test('zsh: the script loads through bashcompinit, registers xarch, and its function runs under zsh', { skip: needCommand('zsh', 'zsh') }, () => {
  // zsh filters the candidates by the typed prefix itself (compadd), so the
  // function's answer is every candidate of the position.
  const script = [
    'autoload -U +X compinit && compinit -u -D',
    'source <(xarch completion zsh) || exit 9',
    'print -r -- "comp: $_comps[xarch]"',
    "emulate sh -c 'COMP_WORDS=(xarch emulators \"\"); COMP_CWORD=2; _xarch; echo \"subs: ${COMPREPLY[*]}\"'",
    "emulate sh -c 'COMP_WORDS=(xarch verify --engine \"\"); COMP_CWORD=3; _xarch; echo \"engine: ${COMPREPLY[*]}\"'",
    "emulate sh -c 'COMP_WORDS=(xarch scan --expect \"\"); COMP_CWORD=3; _xarch; echo \"targets: ${#COMPREPLY[@]}\"'",
  ].join('\n');
  const r = spawnSync('zsh', ['-fc', script], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^comp: _bash_complete -F _xarch$/m);
  assert.match(r.stdout, /^subs: list add use rollback remove gc$/m);
  assert.match(r.stdout, /^engine: docker podman$/m);
  assert.match(r.stdout, new RegExp(`^targets: ${allNames().length}$`, 'm'));
});
