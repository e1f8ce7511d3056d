// The ELF reader against binutils' readelf on real Debian binaries of eight
// architectures, and against truncated and corrupted input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, lstatSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEBIAN_ARCHES, fixtureRoot, needCommand, needFixture, xarch } from './helpers/env.js';
import { bytesReadAt, decodeAbi, parseElf } from '../src/elf.js';
import { readDynamicFile, readElfFile } from '../src/elf-file.js';
import { isXarchError } from '../src/errors.js';

const EXPECTED_TARGET: Record<string, string> = {
  arm64: 'aarch64', armhf: 'arm', armel: 'arm', i386: 'i386', mips64el: 'mips64el', mipsel: 'mipsel', ppc64el: 'ppc64le', s390x: 's390x',
};

function readelf(file: string) {
  const out = spawnSync('readelf', ['-h', '-l', '-W', file], { encoding: 'utf8' }).stdout;
  const field = (name: string) => out.match(new RegExp(`^\\s*${name}:\\s+(.*)$`, 'm'))?.[1]?.trim();
  return {
    class: field('Class') === 'ELF64' ? 64 : 32,
    little: /little endian/.test(field('Data') ?? ''),
    type: field('Type')?.split(' ')[0],
    entry: BigInt(field('Entry point address') ?? '0'),
    flags: Number(field('Flags')?.split(',')[0]),
    interpreter: out.match(/Requesting program interpreter: (.*)\]/)?.[1] ?? null,
  };
}

/** A few ELF files per root: busybox (static), hello (dynamic PIE), shared objects. */
function samples(root: string): string[] {
  const files = [path.join(root, 'bin/busybox'), path.join(root, 'usr/bin/hello')];
  const walk = (d: string, depth: number) => {
    let names: string[] = [];
    try { names = readdirSync(d); } catch { return; }
    for (const n of names) {
      const p = path.join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (st.isFile() && /\.so(\.\d+)*$/.test(n) && files.length < 8) files.push(p);
    }
  };
  walk(path.join(root, 'usr/lib'), 0);
  walk(path.join(root, 'lib'), 0);
  return files;
}

const noReadelf = needCommand('readelf', 'binutils');
for (const arch of DEBIAN_ARCHES) {
  test(`elf: ${arch} binaries agree with readelf and match only ${EXPECTED_TARGET[arch]}`, { skip: needFixture(arch) || noReadelf }, () => {
    const files = samples(fixtureRoot(arch)!);
    assert.ok(files.length >= 4, `${arch}: found ${files.length} samples`);
    for (const f of files) {
      const info = readElfFile(f);
      const r = readelf(f);
      assert.equal(info.elfClass, r.class, f);
      assert.equal(info.byteOrder === 'little', r.little, f);
      assert.equal(info.type, r.type, f);
      assert.equal(info.entry, r.entry, f);
      assert.equal(info.flags, r.flags, f);
      assert.equal(info.interpreter, r.interpreter, f);
      assert.deepEqual(info.targets, [EXPECTED_TARGET[arch]], f);
    }
    const bb = readElfFile(path.join(fixtureRoot(arch)!, 'bin/busybox'));
    assert.equal(bb.linkage, 'static');
    const hello = readElfFile(path.join(fixtureRoot(arch)!, 'usr/bin/hello'));
    assert.equal(hello.linkage, 'dynamic');
    assert.equal(hello.pie, true);
  });
}

test('elf: ABI facts from e_flags', () => {
  const cases: [number, 32 | 64, 'little' | 'big', number, string[]][] = [
    [40, 32, 'little', 0x05000400, ['EABI5', 'hard-float']],
    [40, 32, 'little', 0x05000200, ['EABI5', 'soft-float']],
    [8, 32, 'little', 0x70001007, ['o32', 'little-endian', 'mips32r2']],
    [8, 32, 'big', 0x80000027, ['n32', 'big-endian', 'mips64r2']],
    [8, 64, 'little', 0x80000007, ['n64', 'little-endian', 'mips64r2']],
    [243, 64, 'little', 0x5, ['double-float', 'RVC']],
    [243, 64, 'little', 0x0, ['soft-float']],
    [21, 64, 'little', 2, ['ELFv2']],
    [21, 64, 'big', 1, ['ELFv1']],
    [62, 64, 'little', 0, []],
  ];
  for (const [m, c, o, f, want] of cases) assert.deepEqual(decodeAbi(m, c, o, f), want, `${m} ${f.toString(16)}`);
});

test('elf: Debian armel is EABI5 soft-float, armhf hard-float', { skip: needFixture('armel') || needFixture('armhf') }, () => {
  assert.ok(readElfFile(path.join(fixtureRoot('armel')!, 'usr/bin/hello')).abi.includes('soft-float'));
  assert.ok(readElfFile(path.join(fixtureRoot('armhf')!, 'usr/bin/hello')).abi.includes('hard-float'));
});

test('elf: every truncation and thousands of byte flips give typed errors, never a crash', { skip: needFixture('arm64') }, () => {
  const whole = readFileSync(path.join(fixtureRoot('arm64')!, 'usr/bin/hello'));
  const bytes = new Uint8Array(whole.subarray(0, 4096));
  let errors = 0;
  for (let n = 0; n < 700; n++) {
    try {
      parseElf(bytesReadAt(bytes.subarray(0, n)));
    } catch (e) {
      assert.ok(isXarchError(e) && /^ELF_/.test(e.code) && typeof e.offset === 'number', String(e));
      errors++;
    }
  }
  assert.ok(errors > 500, `${errors} truncations refused`);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 5000; i++) {
    const b = Uint8Array.from(bytes);
    for (let k = 0; k < 4; k++) b[rnd() % 700] = rnd() & 0xff;
    try {
      parseElf(bytesReadAt(b));
    } catch (e) {
      assert.ok(isXarchError(e) && /^ELF_/.test(e.code), String(e));
    }
  }
});

test('elf: hostile headers are refused with the offset', () => {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const dv = new DataView(h.buffer);
  dv.setUint16(16, 2, true);
  dv.setBigUint64(32, 0xffffffffffffff00n, true); // e_phoff far away
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 3, true);
  assert.throws(() => parseElf(bytesReadAt(h)), (e: any) => e.code === 'ELF_INVALID' && e.offset === 32);
  dv.setBigUint64(32, 64n, true);
  dv.setUint16(56, 0xffff, true); // 65535 headers
  assert.throws(() => parseElf(bytesReadAt(h)), (e: any) => e.code === 'ELF_INVALID' && e.offset === 56);
  h[4] = 7;
  assert.throws(() => parseElf(bytesReadAt(h)), (e: any) => e.code === 'ELF_INVALID' && e.offset === 4);
  assert.throws(() => parseElf(bytesReadAt(new TextEncoder().encode('#!/bin/sh\n'))), (e: any) => e.code === 'ELF_NOT_ELF');
});

test('inspect: human and JSON output, per-file errors, exit codes', { skip: needFixture('s390x') }, () => {
  const bb = path.join(fixtureRoot('s390x')!, 'bin/busybox');
  const ok = xarch(['inspect', bb]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ELF64, big-endian/);
  assert.match(ok.stdout, /target\s+s390x \(qemu-s390x\)/);
  const mixed = xarch(['inspect', '--json', '/nonexistent', bb, '/etc']);
  assert.equal(mixed.status, 1);
  const rows = mixed.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => r.ok), [false, true, false]);
  assert.equal(rows[0].error.code, 'PATH_NOT_FOUND');
  assert.equal(rows[1].linkage, 'static');
  assert.deepEqual(rows[1].targets, ['s390x']);
  assert.equal(rows[2].error.code, 'PATH_NOT_FILE');
  assert.equal(xarch(['inspect']).status, 2);
});

test('elf: DT_NEEDED agrees with readelf -d on every Debian hello', { skip: noReadelf }, () => {
  let checked = 0;
  for (const arch of DEBIAN_ARCHES) {
    if (!fixtureRoot(arch)) continue;
    const f = path.join(fixtureRoot(arch)!, 'usr/bin/hello');
    const want = [...spawnSync('readelf', ['-d', '-W', f], { encoding: 'utf8' }).stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]);
    assert.deepEqual(readDynamicFile(f)?.needed, want, f);
    checked++;
  }
  assert.ok(checked > 0);
  assert.equal(readDynamicFile(path.join(fixtureRoot('arm64') ?? '/nonexistent', 'bin/busybox')), null);
});
