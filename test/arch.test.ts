// Target catalogue: names in every scheme, closest matches, host family,
// magic/mask against every real Debian binary (and the departures from the
// published tables), and the arches command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, lstatSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, closestNames, getTarget, headerMatches, hostTargets, isHostTarget, resolveTarget, targetsForHeader } from '../src/core/arch.js';
import { unescapeHex } from '../src/core/bytes.js';
import { DEBIAN_ARCHES, fixtureRoot, needFixture, xarch } from './helpers/env.js';

// [input, target, scheme, variant?]
const NAMES: [string, string, string, string?][] = [
  // Docker/OCI platforms
  ['linux/arm64', 'aarch64', 'docker'], ['linux/arm64/v8', 'aarch64', 'docker', 'v8'], ['linux/arm/v7', 'arm', 'docker', 'v7'],
  ['linux/arm/v6', 'arm', 'docker', 'v6'], ['linux/arm/v5', 'arm', 'docker', 'v5'], ['linux/riscv64', 'riscv64', 'docker'],
  ['linux/ppc64le', 'ppc64le', 'docker'], ['linux/s390x', 's390x', 'docker'], ['linux/386', 'i386', 'docker'],
  ['linux/amd64', 'x86_64', 'docker'], ['linux/mips64le', 'mips64el', 'docker'], ['linux/loong64', 'loongarch64', 'docker'],
  ['LINUX/ARM64', 'aarch64', 'docker'], ['linux/amd64/v3', 'x86_64', 'docker', 'v3'],
  // Debian architectures
  ['arm64', 'aarch64', 'docker'], ['armhf', 'arm', 'debian', 'hard-float'], ['armel', 'arm', 'debian', 'soft-float'],
  ['ppc64el', 'ppc64le', 'debian'], ['mips64el', 'mips64el', 'qemu'], ['i386', 'i386', 'qemu'], ['powerpc', 'ppc', 'debian'],
  ['loong64', 'loongarch64', 'docker'], ['mipsn32el', 'mipsn32el', 'qemu'],
  // uname -m
  ['aarch64', 'aarch64', 'qemu'], ['armv7l', 'arm', 'uname'], ['armv6l', 'arm', 'uname'], ['armv5tel', 'arm', 'uname'],
  ['armv8l', 'arm', 'uname'], ['armv8b', 'armeb', 'uname'], ['i686', 'i386', 'uname'], ['loongarch64', 'loongarch64', 'qemu'],
  ['parisc', 'hppa', 'uname'],
  // GNU triplets
  ['aarch64-linux-gnu', 'aarch64', 'gnu', 'gnu'], ['arm-linux-gnueabihf', 'arm', 'gnu', 'gnueabihf'],
  ['arm-linux-gnueabi', 'arm', 'gnu', 'gnueabi'], ['mips64el-linux-gnuabi64', 'mips64el', 'gnu', 'gnuabi64'],
  ['mips64el-linux-gnuabin32', 'mipsn32el', 'gnu', 'gnuabin32'], ['mips64-linux-gnuabin32', 'mipsn32', 'gnu', 'gnuabin32'],
  ['powerpc64le-linux-gnu', 'ppc64le', 'gnu', 'gnu'], ['s390x-linux-gnu', 's390x', 'gnu', 'gnu'], ['riscv64-linux-gnu', 'riscv64', 'gnu', 'gnu'],
  ['i686-linux-gnu', 'i386', 'gnu', 'gnu'], ['x86_64-pc-linux-musl', 'x86_64', 'gnu', 'musl'], ['powerpc-linux-gnu', 'ppc', 'gnu', 'gnu'],
  ['loongarch64-linux-gnu', 'loongarch64', 'gnu', 'gnu'], ['mipsel-linux-gnu', 'mipsel', 'gnu', 'gnu'], ['armv7a-linux-gnueabihf', 'arm', 'gnu', 'gnueabihf'],
  // Go GOARCH
  ['amd64', 'x86_64', 'docker'], ['386', 'i386', 'docker'], ['mipsle', 'mipsel', 'docker'], ['mips64le', 'mips64el', 'docker'],
  ['ppc64le', 'ppc64le', 'qemu'], ['ppc64', 'ppc64', 'qemu'], ['mips', 'mips', 'qemu'], ['mips64', 'mips64', 'qemu'],
  ['riscv64', 'riscv64', 'qemu'], ['s390x', 's390x', 'qemu'], ['arm', 'arm', 'qemu'],
];

test('names in every scheme resolve to their target, scheme and variant', () => {
  for (const [input, target, scheme, variant] of NAMES) {
    const r = resolveTarget(input);
    assert.equal(r.target.name, target, input);
    assert.equal(r.scheme, scheme, input);
    assert.equal(r.variant, variant, input);
  }
});

test('an unknown name is an error listing the closest names', () => {
  const cases: [string, string][] = [['aarch46', 'aarch64'], ['ppc64l', 'ppc64le'], ['linux/arm65', 'linux/arm64'], ['x86-64', 'x86_64'], ['risc64', 'riscv64'], ['armhfx', 'armhf']];
  for (const [input, near] of cases) {
    assert.throws(() => resolveTarget(input), (e: any) => e.code === 'ARCH_UNKNOWN' && e.message.includes(`'${input}'`) && e.hint.includes(near), input);
  }
  assert.ok(closestNames('ppc64l', 3).includes('ppc64le'));
  assert.throws(() => resolveTarget('zzzzzzzzzzzzzzzz'), (e: any) => e.code === 'ARCH_UNKNOWN' && !/did you mean/.test(e.hint));
});

test('host family: x86_64 owns x86_64, i386 and i486; arm64 owns aarch64 and arm; an unknown machine owns nothing', () => {
  assert.deepEqual(hostTargets('x86_64').map((t) => t.name).sort(), ['i386', 'i486', 'x86_64']);
  assert.deepEqual(hostTargets('aarch64').map((t) => t.name).sort(), ['aarch64', 'arm']);
  assert.deepEqual(hostTargets('ppc64le').map((t) => t.name), ['ppc64le']);
  assert.deepEqual(hostTargets('mips64').map((t) => t.name).sort(), ['mips', 'mips64', 'mips64el', 'mipsel', 'mipsn32', 'mipsn32el']);
  assert.deepEqual(hostTargets('vax'), []);
  assert.equal(isHostTarget(getTarget('aarch64')!, 'x86_64'), false);
  assert.equal(isHostTarget(getTarget('arm')!, 'armv7l'), true);
  assert.equal(isHostTarget(getTarget('i386')!, 'x86_64'), true);
});

test('catalogue: unique names, masks as long as magics, magic bits inside the mask, e_type admits EXEC and DYN only', () => {
  assert.equal(new Set(TARGETS.map((t) => t.name)).size, TARGETS.length);
  for (const t of TARGETS) {
    assert.equal(t.mask.length, t.magic.length, t.name);
    for (let i = 0; i < t.magic.length; i++) assert.equal(t.magic[i]! & ~t.mask[i]!, 0, `${t.name} byte ${i}`);
    const h = new Uint8Array(64);
    h.set(t.magic);
    const typeAt = t.byteOrder === 'little' ? 16 : 17;
    for (const [type, ok] of [[2, true], [3, true], [1, false], [4, false]] as const) {
      h[typeAt] = type;
      assert.equal(headerMatches(t, h), ok, `${t.name} e_type ${type}`);
    }
  }
});

const EXPECTED_TARGET: Record<string, string> = {
  arm64: 'aarch64', armhf: 'arm', armel: 'arm', i386: 'i386', mips64el: 'mips64el', mipsel: 'mipsel', ppc64el: 'ppc64le', s390x: 's390x',
};

function head(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const b = new Uint8Array(256);
    return b.subarray(0, readSync(fd, b, 0, 256, 0));
  } finally {
    closeSync(fd);
  }
}

/** Every ELF file under root (executables, PIEs, static busybox, shared objects, the loader). */
function elfFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size >= 64) {
        const h = head(p);
        if (h[0] === 0x7f && h[1] === 0x45 && h[2] === 0x4c && h[3] === 0x46) out.push(p);
      }
    }
  };
  walk(root);
  return out;
}

const seen = { exec: 0, dyn: 0, osabiGnu: 0, osabiSysv: 0 };
for (const arch of DEBIAN_ARCHES) {
  test(`every ELF file of Debian ${arch} matches ${EXPECTED_TARGET[arch]}'s magic/mask and no other target's`, { skip: needFixture(arch) }, () => {
    const files = elfFiles(fixtureRoot(arch)!);
    assert.ok(files.length > 50, `${arch}: ${files.length} ELF files`);
    const types = new Set<number>();
    for (const f of files) {
      const h = head(f);
      const all = TARGETS.filter((t) => headerMatches(t, h)).map((t) => t.name);
      assert.deepEqual(all, [EXPECTED_TARGET[arch]], f);
      assert.deepEqual(targetsForHeader(h).map((t) => t.name), all, f);
      const type = h[5] === 1 ? h[16]! : h[17]!;
      types.add(type);
      if (type === 2) seen.exec++;
      if (type === 3) seen.dyn++;
      if (h[7] === 3) seen.osabiGnu++;
      if (h[7] === 0) seen.osabiSysv++;
      // ppc64le compares e_machine's high byte, which both published tables ignore: it is 0 in every real binary.
      if (arch === 'ppc64el') assert.equal(h[19], 0, f);
    }
    assert.deepEqual([...types].sort(), [2, 3], `${arch}: both ET_EXEC (busybox) and ET_DYN (PIEs, libraries)`);
  });
}

test('the Debian roots cover GNU and SYSV OSABI, executables and PIEs', { skip: needFixture('s390x') || needFixture('arm64') }, () => {
  // Runs after the per-arch tests (node:test runs top-level tests in order).
  assert.ok(seen.exec >= 2 && seen.dyn > 100 && seen.osabiGnu > 0 && seen.osabiSysv > 100, JSON.stringify(seen));
});

// Upstream QEMU's and Debian's published rules for three targets (identical
// for these): EI_ABIVERSION (byte 8) must be 0.
const PUBLISHED: Record<string, { magic: string; mask: string }> = {
  aarch64: { magic: '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00', mask: '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff' },
  arm: { magic: '\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00', mask: '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff' },
  s390x: { magic: '\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16', mask: '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff' },
};
function publishedMatches(name: string, h: Uint8Array): boolean {
  const m = unescapeHex(PUBLISHED[name]!.magic);
  const k = unescapeHex(PUBLISHED[name]!.mask);
  return m.every((b, i) => ((h[i] ?? 0) & k[i]!) === (b & k[i]!));
}

for (const [arch, target] of [['arm64', 'aarch64'], ['armhf', 'arm'], ['s390x', 's390x']] as const) {
  const qemu = `/usr/bin/qemu-${target}-static`;
  const noQemu = spawnSync('test', ['-x', qemu]).status === 0 ? false : `${qemu} is not installed (apt-get install qemu-user-static)`;
  test(`departure: a Debian ${arch} busybox with EI_ABIVERSION 1 still runs under QEMU and matches ${target} (the published rule refuses it)`, { skip: needFixture(arch) || noQemu }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-abiver-'));
    try {
      const bb = path.join(dir, 'busybox');
      copyFileSync(path.join(fixtureRoot(arch)!, 'bin/busybox'), bb);
      const bytes = readFileSync(bb);
      assert.equal(bytes[8], 0);
      assert.ok(publishedMatches(target, bytes) && headerMatches(getTarget(target)!, bytes));
      bytes[8] = 1;
      writeFileSync(bb, bytes);
      const r = spawnSync(qemu, [bb, 'echo', 'abi-version-ignored'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'abi-version-ignored\n');
      assert.equal(publishedMatches(target, bytes), false);
      assert.deepEqual(targetsForHeader(bytes).map((t) => t.name), [target]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('departure: microblaze matches EM_MICROBLAZE (189) in both byte orders, not the old 0xbaab (no Debian port: built headers)', () => {
  const hdr = (order: 'little' | 'big', machine: number) => {
    const h = new Uint8Array(64);
    h.set([0x7f, 0x45, 0x4c, 0x46, 1, order === 'little' ? 1 : 2, 1]);
    const dv = new DataView(h.buffer);
    dv.setUint16(16, 2, order === 'little');
    dv.setUint16(18, machine, order === 'little');
    return h;
  };
  assert.deepEqual(targetsForHeader(hdr('big', 189)).map((t) => t.name), ['microblaze']);
  assert.deepEqual(targetsForHeader(hdr('little', 189)).map((t) => t.name), ['microblazeel']);
  assert.deepEqual(targetsForHeader(hdr('big', 0xbaab)), []);
});

test('xarch arches: table, --all, JSON, resolution, unknown names per item', () => {
  const t = xarch(['arches']);
  assert.equal(t.status, 0);
  assert.match(t.stdout, /^TARGET\s+FAMILY\s+EMULATOR\s+INSTALLED\s+HOST\s+ALSO KNOWN AS\n/);
  assert.match(t.stdout, /\naarch64\s+arm\s+qemu-aarch64\s+\S+\s+foreign\s+linux\/arm64 /);
  assert.equal(t.stdout.trim().split('\n').length, TARGETS.length + 1);
  const all = xarch(['arches', '--all']).stdout;
  assert.match(all, /\ns390x: IBM Z \(s390x\), ELF64 big-endian, e_machine 22\n {2}magic \\x7fELF\\x02\\x02\\x01.*\n {2}mask {2}\\xff/);
  assert.match(all, /\n {2}go {5}mips64le\n/);
  const j = xarch(['arches', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(j.map((x) => x.name), TARGETS.map((x) => x.name));
  const host = new Set(hostTargets(os.machine()).map((x) => x.name));
  for (const x of j) assert.equal(x.host, host.has(x.name), x.name);
  const installed = (cpu: string) => spawnSync('sh', ['-c', `command -v qemu-${cpu}-static || command -v qemu-${cpu}`]).status === 0;
  for (const x of j) assert.equal(x.installed, installed(x.cpu), x.name);
  assert.equal(j.find((x) => x.name === 'mipsel').mask.length > 40, true);
  const r = xarch(['arches', '--json', 'linux/arm/v6', 'armv9z', 'ppc64el']);
  assert.equal(r.status, 1);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => [x.input, x.ok, x.target ?? x.error.code]), [['linux/arm/v6', true, 'arm'], ['armv9z', false, 'ARCH_UNKNOWN'], ['ppc64el', true, 'ppc64le']]);
  assert.equal(rows[0].variant, 'v6');
  assert.equal(rows[2].scheme, 'debian');
  const h = xarch(['arches', 'armhf', 'armv9z']);
  assert.equal(h.status, 1);
  assert.match(h.stdout, /^armhf → arm \(debian name, variant hard-float; family arm, (foreign|host family); emulator qemu-arm (not )?installed\)\n$/);
  assert.match(h.stderr, /unknown architecture 'armv9z'\n\s+hint: did you mean arm/);
  assert.equal(xarch(['arches', '--bogus']).status, 2);
  assert.equal(xarch(['arches', 'arm64']).status, 0);
});
