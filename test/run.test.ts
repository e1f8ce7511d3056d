// xarch run: real Debian binaries through real QEMU, no registration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, fixtureRoot, needFixture, xarch } from './helpers/env.js';
import { resolveInRoot } from '../src/host/rootfs.js';

const MACHINES = [['arm64', 'aarch64'], ['armhf', 'armv7l'], ['ppc64el', 'ppc64le'], ['s390x', 's390x'], ['mips64el', 'mips64']] as const;

for (const [deb, machine] of MACHINES) {
  test(`run: static busybox of ${deb} reports ${machine}`, { skip: needFixture(deb) }, () => {
    const r = xarch(['run', path.join(fixtureRoot(deb)!, 'bin/busybox'), 'uname', '-m']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), machine);
  });
}

test('run: a dynamic hello with its loader and libc under --sysroot', { skip: needFixture('arm64') }, () => {
  const root = fixtureRoot('arm64')!;
  const r = xarch(['run', '--sysroot', root, path.join(root, 'usr/bin/hello')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Hello, world!\n');
});

test('run: a missing loader is explained before anything runs', { skip: needFixture('arm64') }, () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'xarch-run-'));
  try {
    const r = xarch(['run', '--sysroot', empty, path.join(fixtureRoot('arm64')!, 'usr/bin/hello')]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /needs its loader \/lib\/ld-linux-aarch64\.so\.1, which is not in /);
    assert.match(r.stderr, /hint: .*apt-get install libc6:arm64/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('run: a missing library is named before anything runs', { skip: needFixture('arm64') }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'xarch-run-'));
  try {
    cpSync(fixtureRoot('arm64')!, root, { recursive: true, verbatimSymlinks: true });
    for (const d of ['lib', 'usr/lib']) rmSync(path.join(root, d, 'aarch64-linux-gnu/libc.so.6'), { force: true });
    const r = xarch(['run', '--sysroot', root, path.join(root, 'usr/bin/hello')]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /needs libc\.so\.6, not found for aarch64 in /);
    const d = xarch(['doctor', '--json', '--root', root, path.join(root, 'usr/bin/hello')]);
    assert.ok(JSON.parse(d.stdout).findings.some((f: any) => f.id === 'libraries-missing'), d.stdout);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run: exit status and arguments pass through; --help after PROGRAM is the program\'s', { skip: needFixture('s390x') }, () => {
  const bb = path.join(fixtureRoot('s390x')!, 'bin/busybox');
  const r = xarch(['run', bb, 'sh', '-c', 'echo "$1"; exit 7', 'sh', 'a b']);
  assert.equal(r.status, 7);
  assert.equal(r.stdout, 'a b\n');
  const h = xarch(['run', bb, 'true', '--help']);
  assert.doesNotMatch(h.stdout, /Usage: xarch run/);
});

test('run: argv[0] is preserved (busybox dispatches on it)', { skip: needFixture('arm64') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xarch-run-'));
  try {
    const link = path.join(dir, 'uname');
    symlinkSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), link);
    const r = xarch(['run', link, '-m']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'aarch64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run: SIGTERM is relayed and the status is 128+15', { skip: needFixture('arm64') }, async () => {
  const child = spawn(process.execPath, [CLI, 'run', path.join(fixtureRoot('arm64')!, 'bin/busybox'), 'sleep', '30'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 700));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 143);
});

test('run: usage and input errors', () => {
  assert.equal(xarch(['run']).status, 2);
  const missing = xarch(['run', '/nonexistent/prog']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /does not exist/);
  const notElf = xarch(['run', '/etc/hostname']);
  assert.equal(notElf.status, 1);
  assert.doesNotMatch(notElf.stderr, /\n\s+at /);
});

test('resolveInRoot follows absolute links inside the root', { skip: needFixture('arm64') }, () => {
  const root = fixtureRoot('arm64')!;
  const p = resolveInRoot(root, '/lib/ld-linux-aarch64.so.1');
  assert.ok(p && p.startsWith(root), String(p));
  assert.equal(resolveInRoot(root, '/lib/nope.so'), null);
});
