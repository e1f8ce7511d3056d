// The man page: generated from the declarations, rendered by the real groff
// and man(1) without a warning, listing every command, subcommand and flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandSpecs } from '../src/cli/main.js';
import { ENVIRONMENT, FILES, renderManPage, writeManPage } from '../src/cli/man.js';
import { needCommand } from './helpers/env.js';

const info = { version: '9.9.9', date: '2026-01-02', description: 'Run programs built for other CPU architectures' };

function render(page: string, argv: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(argv[0]!, argv.slice(1), { input: page, encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8' } });
}

test('man page: groff renders it without a single warning (-ww)', { skip: needCommand('groff', 'groff-base') }, async () => {
  const page = renderManPage(await commandSpecs(), info);
  const r = render(page, ['groff', '-man', '-Tutf8', '-ww', '-z']);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});

test('man page: man -l shows every command, subcommand, flag, exit status, environment variable and file', { skip: needCommand('man', 'man-db') }, async () => {
  const specs = await commandSpecs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-man-'));
  try {
    const file = path.join(dir, 'xarch.1');
    await writeManPage(file);
    const page = readFileSync(file, 'utf8');
    assert.match(page, /^\.TH XARCH 1 \d{4}-\d\d-\d\d "xarch \d+\.\d+\.\d+"/m);
    const r = spawnSync('man', ['--warnings', '-l', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', LC_ALL: 'C.UTF-8' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'man --warnings is silent');
    // Plain text: man(1) may overstrike for bold when its output is not a terminal.
    const text = r.stdout.replace(/.\x08/g, '');
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES']) assert.match(text, new RegExp(`^${section}$`, 'm'));
    for (const c of specs) {
      assert.match(text, new RegExp(`^ {7}${c.name} +\\S`, 'm'), `${c.name} in the command list`);
      for (const s of [c, ...c.subcommands]) {
        assert.match(text, new RegExp(`^ {3}xarch ${s.name}$`, 'm'), `a section for xarch ${s.name}`);
        const block = text.slice(text.search(new RegExp(`^ {3}xarch ${s.name}$`, 'm')));
        for (const o of s.options) {
          if (o.name === 'help') continue;
          assert.match(block, new RegExp(`^ {7}(-${o.short}, )?--${o.name}\\b`, 'm'), `xarch ${s.name} --${o.name}`);
        }
      }
    }
    for (const [name] of [...ENVIRONMENT, ...FILES]) assert.ok(text.includes(name), name);
    assert.match(text, /^ {7}2\s+usage error/m);
    assert.doesNotMatch(text, /\u2010/, 'no hyphenation (a flag must read as typed)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
