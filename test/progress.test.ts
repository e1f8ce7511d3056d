// Progress lines: the renderer (src/cli/progress.ts) with a fake clock, and
// the real CLI on a real pseudo-terminal (script(1) from util-linux): the
// line appears on a terminal, and never in a pipe or with --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { progressLine, progressText } from '../src/cli/progress.js';
import { bufferIo } from '../src/cli/io.js';
import { CLI, FIXTURES, fixtureRoot, needCommand, needFixture } from './helpers/env.js';

const ERASE = '\r\x1b[K';

function ttyIo() {
  return Object.assign(bufferIo(), { stderrIsTTY: true });
}

test('progressText: counts, totals with a percentage, bytes in MiB, a rate once half a second has passed', () => {
  assert.equal(progressText({ phase: 'scanning', done: 2000, unit: 'files' }, 0.1), 'scanning: 2000 files');
  assert.equal(progressText({ phase: 'scanning', done: 4000, unit: 'files' }, 2), 'scanning: 4000 files, 2000 files/s');
  assert.equal(progressText({ phase: 'unpacking root.tar', done: 3 << 20, total: 12 << 20, unit: 'bytes' }, 0.2), 'unpacking root.tar: 3.0 MiB of 12.0 MiB (25%)');
  assert.equal(progressText({ phase: 'copying emulators', done: 3, total: 4, unit: 'files' }, 0), 'copying emulators: 3 of 4 files (75%)');
  assert.equal(progressText({ phase: 'downloading qemu-user-static', done: 0, unit: 'files' }, 3), 'downloading qemu-user-static...');
});

test('progressLine: nothing at all without a terminal or with --json', () => {
  assert.equal(progressLine(bufferIo(), false), undefined);
  assert.equal(progressLine(ttyIo(), true), undefined);
});

test('progressLine: throttled to the interval, a new phase and a finished one drawn at once, the line erased at the end', () => {
  const io = ttyIo();
  let t = 0;
  const line = progressLine(io, false, { now: () => t, intervalMs: 100 })!;
  line.report({ phase: 'a', done: 1, unit: 'files' });
  t = 50;
  line.report({ phase: 'a', done: 2, unit: 'files' });
  t = 99;
  line.report({ phase: 'b', done: 1, total: 3, unit: 'files' });
  t = 120;
  line.report({ phase: 'b', done: 3, total: 3, unit: 'files' });
  t = 150;
  line.report({ phase: 'b', done: 3, total: 3, unit: 'files' });
  t = 300;
  line.report({ phase: 'b', done: 4, total: 3, unit: 'files' });
  assert.deepEqual(io.stderr.split(ERASE).filter(Boolean), ['a: 1 files', 'b: 1 of 3 files (33%)', 'b: 3 of 3 files (100%)', 'b: 3 of 3 files (100%)', 'b: 4 of 3 files (100%)']);
  line.end();
  assert.ok(io.stderr.endsWith(ERASE));
  const before = io.stderr;
  line.end();
  assert.equal(io.stderr, before, 'a second end() writes nothing');
});

test('progressLine: a line never wider than the width (a wrapped line cannot be erased)', () => {
  const io = ttyIo();
  const line = progressLine(io, false, { width: 20 })!;
  line.report({ phase: 'scanning a very long path name indeed', done: 1, unit: 'files' });
  assert.equal(io.stderr, ERASE + 'scanning a very long');
});

/** Run the CLI with stdin, stdout and stderr on a new pseudo-terminal; what the terminal showed. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; output: string } {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  return { status: r.status, output: r.stdout };
}

/** Run the CLI with its output in pipes. */
function piped(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
}

const needScript = () => needCommand('script', 'util-linux');
const ROOTFS = path.join(FIXTURES, 'rootfs-arm64', 'root');
const needRootfs = () => {
  const r = existsSync(path.join(FIXTURES, 'rootfs-arm64', '.done')) ? false : "no arm64 Debian root: run 'bash scripts/fetch-rootfs.sh'";
  if (r) console.log(`# skip reason: ${r}`);
  return r;
};

test('scan: a progress line on a terminal, erased before the report; none in a pipe, none with --json', { skip: needScript() || needRootfs(), timeout: 120_000 }, () => {
  const tty = onTerminal(['scan', ROOTFS]);
  assert.equal(tty.status, 0, tty.output);
  assert.match(tty.output, /\r\x1b\[Kscan: \d+ files/);
  // The report starts on an erased line: no progress text is left in front of it.
  assert.match(tty.output, /\r\x1b\[K\S*rootfs-arm64\/root \(tree\): \d+ files/);
  const json = onTerminal(['scan', '--json', ROOTFS]);
  assert.equal(json.status, 0, json.output);
  assert.doesNotMatch(json.output, /\x1b\[K|scan: \d/);
  JSON.parse(json.output.trim());
  const pipe = piped(['scan', ROOTFS]);
  assert.equal(pipe.status, 0, pipe.stderr);
  assert.equal(pipe.stderr, '');
  assert.doesNotMatch(pipe.stdout, /\x1b|\r/);
});

test('shell: unpacking a tar root shows the bytes read of the archive on a terminal, nothing when piped', { skip: needScript() || needFixture('arm64') || needCommand('tar', 'tar'), timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-progress-'));
  try {
    const tar = path.join(dir, 'root.tar');
    const made = spawnSync('tar', ['-C', fixtureRoot('arm64')!, '-cf', tar, '.']);
    assert.equal(made.status, 0, String(made.stderr));
    const env = (n: string) => ({ ...process.env, XARCH_ROOTS_CACHE: path.join(dir, `cache-${n}`) });
    const tty = onTerminal(['shell', '--dry-run', tar, '--', '/bin/true'], env('tty'));
    assert.equal(tty.status, 0, tty.output);
    assert.match(tty.output, /\r\x1b\[Kunpacking root\.tar: [\d.]+ MiB of [\d.]+ MiB \(\d+%\)/);
    assert.match(tty.output, /\r\x1b\[Kmode rootless/);
    const again = onTerminal(['shell', '--dry-run', tar, '--', '/bin/true'], env('tty'));
    assert.doesNotMatch(again.output, /unpacking/, 'a cached root unpacks nothing, so shows nothing');
    const pipe = piped(['shell', '--dry-run', tar, '--', '/bin/true'], env('pipe'));
    assert.equal(pipe.status, 0, pipe.stderr);
    assert.doesNotMatch(pipe.stderr + pipe.stdout, /unpacking|\x1b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('emulators add: each step on a terminal, nothing with --json or when piped', { skip: needScript() || needCommand('qemu-aarch64-static', 'qemu-user-static'), timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-progress-'));
  try {
    const tgz = path.join(dir, 'qemu.tar.gz');
    const made = spawnSync('tar', ['-C', '/usr/bin', '-czf', tgz, 'qemu-aarch64-static', 'qemu-arm-static']);
    assert.equal(made.status, 0, String(made.stderr));
    const tty = onTerminal(['emulators', 'add', tgz, '--no-probe', '--store', path.join(dir, 'store-tty')]);
    assert.equal(tty.status, 0, tty.output);
    assert.match(tty.output, /\r\x1b\[Kunpacking qemu\.tar\.gz/);
    assert.match(tty.output, /\r\x1b\[Kcopying emulators: \d of 2 files/);
    assert.match(tty.output, /\r\x1b\[Kadded  [0-9a-f]+  QEMU /);
    const json = onTerminal(['emulators', 'add', tgz, '--no-probe', '--json', '--store', path.join(dir, 'store-json')]);
    assert.equal(json.status, 0, json.output);
    assert.doesNotMatch(json.output, /\x1b|copying/);
    const pipe = piped(['emulators', 'add', tgz, '--no-probe', '--store', path.join(dir, 'store-pipe')]);
    assert.equal(pipe.status, 0, pipe.stderr);
    assert.doesNotMatch(pipe.stderr + pipe.stdout, /\x1b|copying/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
