// xarch inspect on the command line: human and JSON output on real Debian
// binaries, per-file errors (missing, directory, unreadable, not ELF,
// truncated), exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, DEBIAN_ARCHES, asUser, fixtureRoot, needFixture, needTestUser, xarch } from './helpers/env.js';
import { readElfFile } from '../src/host/file.js';

const FIELDS = ['file', 'ok', 'class', 'byteOrder', 'osabi', 'osabiName', 'abiVersion', 'type', 'pie', 'machine', 'machineName', 'flags', 'abi', 'entry', 'interpreter', 'linkage', 'targets', 'emulators'];

test('inspect --json: one object per file, every field equal to the library reader', () => {
  const files: string[] = [];
  for (const arch of DEBIAN_ARCHES) {
    const root = fixtureRoot(arch);
    if (root) files.push(path.join(root, 'bin/busybox'), path.join(root, 'usr/bin/hello'));
  }
  if (files.length === 0) return void needFixture('arm64');
  const r = xarch(['inspect', '--json', ...files]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, files.length);
  rows.forEach((o, k) => {
    const i = readElfFile(files[k]!);
    assert.deepEqual(Object.keys(o), FIELDS);
    assert.deepEqual(o, {
      file: files[k], ok: true, class: i.elfClass, byteOrder: i.byteOrder, osabi: i.osabi, osabiName: i.osabiName, abiVersion: i.abiVersion,
      type: i.type, pie: i.pie, machine: i.machine, machineName: i.machineName, flags: i.flags, abi: i.abi, entry: '0x' + i.entry.toString(16),
      interpreter: i.interpreter, linkage: i.linkage, targets: i.targets, emulators: i.targets.map((t) => `qemu-${t}`),
    });
  });
});

test('inspect: human output of a dynamic armhf PIE and a static big-endian s390x busybox', { skip: needFixture('armhf') || needFixture('s390x') }, () => {
  const hello = path.join(fixtureRoot('armhf')!, 'usr/bin/hello');
  const bb = path.join(fixtureRoot('s390x')!, 'bin/busybox');
  const r = xarch(['inspect', hello, bb]);
  assert.equal(r.status, 0, r.stderr);
  const [a, b] = r.stdout.split(/\n(?=\/)/);
  assert.match(a!, new RegExp(`^${hello}:\\n`));
  assert.match(a!, /\n {2}class {4}ELF32, little-endian\n/);
  assert.match(a!, /\n {2}osabi {4}SYSV \(0\), ABI version 0\n/);
  assert.match(a!, /\n {2}type {5}DYN \(position-independent executable\)\n/);
  assert.match(a!, /\n {2}machine {2}ARM \(40\)\n/);
  assert.match(a!, /\n {2}flags {4}0x5000400 \(EABI5, hard-float\)\n/);
  assert.match(a!, /\n {2}linkage {2}dynamic\n {2}loader {3}\/lib\/ld-linux-armhf\.so\.3\n {2}target {3}arm \(qemu-arm\)$/);
  assert.match(b!, /\n {2}class {4}ELF64, big-endian\n/);
  assert.match(b!, /\n {2}osabi {4}GNU \(3\), ABI version 0\n/);
  assert.match(b!, /\n {2}type {5}EXEC \(position-dependent executable\)\n/);
  assert.match(b!, /\n {2}linkage {2}static\n {2}loader {3}-\n {2}target {3}s390x \(qemu-s390x\)\n$/);
});

test('inspect: per-file errors in order, the good files still print, exit 1', { skip: needFixture('mipsel') }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-inspect-'));
  try {
    const bb = path.join(fixtureRoot('mipsel')!, 'bin/busybox');
    const hello = readFileSync(path.join(fixtureRoot('mipsel')!, 'usr/bin/hello'));
    writeFileSync(path.join(dir, 'cut'), hello.subarray(0, 100)); // ELF32 header whole, program headers cut
    writeFileSync(path.join(dir, 'script'), '#!/bin/sh\necho hi\n');
    const badClass = Buffer.from(hello.subarray(0, 4096));
    badClass[4] = 9;
    writeFileSync(path.join(dir, 'badclass'), badClass);
    const args = ['/nonexistent', bb, dir, path.join(dir, 'cut'), path.join(dir, 'script'), path.join(dir, 'badclass')];
    const j = xarch(['inspect', '--json', ...args]);
    assert.equal(j.status, 1);
    const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((o) => o.file), args);
    assert.deepEqual(rows.map((o) => o.ok), [false, true, false, false, false, false]);
    assert.deepEqual(rows.map((o) => o.error?.code ?? null), ['PATH_NOT_FOUND', null, 'PATH_NOT_FILE', 'ELF_TRUNCATED', 'ELF_NOT_ELF', 'ELF_INVALID']);
    assert.deepEqual(rows.map((o) => o.error?.offset ?? null), [null, null, null, 100, 0, 4]);
    assert.deepEqual(rows[1].targets, ['mipsel']);
    assert.deepEqual(rows[1].abi.slice(0, 2), ['o32', 'little-endian']);
    for (const o of rows.filter((x) => !x.ok)) assert.deepEqual(Object.keys(o), ['file', 'ok', 'error']);

    const h = xarch(['inspect', ...args]);
    assert.equal(h.status, 1);
    assert.equal(h.stdout.match(/^\S.*:$/gm)?.length, 1, 'one file printed');
    assert.match(h.stdout, /target\s+mipsel \(qemu-mipsel\)/);
    const errs = h.stderr.split('\n').filter((l) => l.startsWith('xarch: '));
    assert.equal(errs.length, 5, h.stderr);
    assert.match(errs[2]!, /cut: program headers end past end-of-file .*\(at byte 100\)$/);
    assert.match(errs[4]!, /badclass: invalid ELF class 9 .*\(at byte 4\)$/);
    assert.match(h.stderr, /\n {2}hint: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inspect: an unreadable file is reported and the others print (unprivileged user)', { skip: needFixture('arm64') || needTestUser() }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-inspect-'));
  try {
    chmodSync(dir, 0o755);
    const secret = path.join(dir, 'secret');
    copyFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), secret);
    chmodSync(secret, 0o600);
    const open = path.join(dir, 'open');
    copyFileSync(path.join(fixtureRoot('arm64')!, 'bin/busybox'), open);
    chmodSync(open, 0o644);
    const r = asUser([process.execPath, CLI, 'inspect', '--json', secret, open]);
    assert.equal(r.status, 1, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((o) => [o.ok, o.error?.code ?? o.targets[0]]), [[false, 'PERMISSION_DENIED'], [true, 'aarch64']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inspect: usage', () => {
  assert.equal(xarch(['inspect']).status, 2);
  assert.equal(xarch(['inspect', '--bogus', '/bin/sh']).status, 2);
  const h = xarch(['inspect', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^Usage: xarch inspect FILE\.\.\. \[--json\]/);
});
