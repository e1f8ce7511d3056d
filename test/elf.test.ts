// The ELF reader against binutils' readelf on real Debian binaries of eight
// architectures, against generated hostile headers, and against truncated and
// corrupted copies of every fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { DEBIAN_ARCHES, fixtureRoot, needCommand, needFixture } from './helpers/env.js';
import { bytesReadAt, decodeAbi, looksLikeElf, parseElf, type ElfInfo, type ReadAt } from '../src/core/elf.js';
import { readDynamicFile, readElfFile } from '../src/host/file.js';
import { isXarchError } from '../src/core/errors.js';

const EXPECTED_TARGET: Record<string, string> = {
  arm64: 'aarch64', armhf: 'arm', armel: 'arm', i386: 'i386', mips64el: 'mips64el', mipsel: 'mipsel', ppc64el: 'ppc64le', s390x: 's390x',
};
const READELF_MACHINE: Record<string, number> = { AArch64: 183, ARM: 40, 'Intel 80386': 3, 'MIPS R3000': 8, PowerPC64: 21, 'IBM S/390': 22, 'Advanced Micro Devices X86-64': 62 };
const READELF_OSABI: Record<string, number> = { 'UNIX - System V': 0, 'UNIX - GNU': 3 };

function readelf(file: string) {
  const out = spawnSync('readelf', ['-h', '-l', '-W', file], { encoding: 'utf8' }).stdout;
  const field = (name: string) => out.match(new RegExp(`^\\s*${name}:\\s+(.*)$`, 'm'))?.[1]?.trim() ?? '';
  return {
    class: field('Class') === 'ELF64' ? 64 : 32,
    byteOrder: /little endian/.test(field('Data')) ? 'little' : 'big',
    osabi: READELF_OSABI[field('OS/ABI')],
    abiVersion: Number(field('ABI Version')),
    type: field('Type').split(' ')[0],
    // binutils 2.40 calls an ET_DYN with DF_1_PIE a "Position-Independent Executable file".
    pie: /Position-Independent Executable/.test(field('Type')),
    machine: READELF_MACHINE[field('Machine')],
    entry: BigInt(field('Entry point address') || '0'),
    flags: Number(field('Flags').split(',')[0]),
    interpreter: out.match(/Requesting program interpreter: (.*)\]/)?.[1] ?? null,
  };
}

/** busybox (static EXEC), hello (dynamic PIE), the loader, libc and other shared objects of one root. */
function samples(root: string): string[] {
  const files = [path.join(root, 'bin/busybox'), path.join(root, 'usr/bin/hello')];
  for (const dir of ['lib', 'usr/lib']) {
    let subs: string[] = [];
    try { subs = readdirSync(path.join(root, dir)).filter((d) => d.includes('-linux-') && lstatSync(path.join(root, dir, d)).isDirectory()); } catch { continue; }
    for (const s of subs) {
      for (const n of readdirSync(path.join(root, dir, s))) {
        if (/^(libc\.so\.6|libm\.so\.6|ld.*\.so.*|libresolv\.so\.2)$/.test(n)) files.push(path.join(root, dir, s, n));
      }
    }
  }
  return files;
}

const noReadelf = needCommand('readelf', 'binutils');
for (const arch of DEBIAN_ARCHES) {
  test(`elf: Debian ${arch} busybox, hello, loader and libraries agree with readelf -h -l`, { skip: needFixture(arch) || noReadelf }, () => {
    const files = samples(fixtureRoot(arch)!);
    assert.ok(files.length >= 5, `${arch}: found ${files.length} samples`);
    for (const f of files) {
      const info = readElfFile(f);
      const r = readelf(f);
      assert.equal(info.elfClass, r.class, f);
      assert.equal(info.byteOrder, r.byteOrder, f);
      assert.equal(info.osabi, r.osabi, f);
      assert.equal(info.abiVersion, r.abiVersion, f);
      assert.equal(info.type, r.type, f);
      assert.equal(info.pie, r.pie, f);
      assert.equal(info.machine, r.machine, f);
      assert.equal(info.entry, r.entry, f);
      assert.equal(info.flags, r.flags, f);
      assert.equal(info.interpreter, r.interpreter, f);
      assert.equal(info.linkage, r.interpreter ? 'dynamic' : r.type === 'EXEC' ? 'static' : 'static-pie', f);
      assert.deepEqual(info.targets, [EXPECTED_TARGET[arch]], f);
      assert.equal(info.header.length, 256, f);
    }
    const bb = readElfFile(files[0]!);
    assert.deepEqual([bb.type, bb.linkage, bb.pie, bb.interpreter], ['EXEC', 'static', false, null]);
    const hello = readElfFile(files[1]!);
    assert.deepEqual([hello.type, hello.linkage, hello.pie], ['DYN', 'dynamic', true]);
    const libc = readElfFile(files.find((f) => f.endsWith('/libc.so.6'))!);
    // glibc's libc.so.6 has a PT_INTERP (it runs) and a DT_SONAME: a library, not a PIE.
    assert.deepEqual([libc.type, libc.linkage, libc.pie], ['DYN', 'dynamic', false]);
  });
}

const ABI_EXPECT: Record<string, string[]> = {
  arm64: [], armhf: ['EABI5', 'hard-float'], armel: ['EABI5', 'soft-float'], i386: [], s390x: [],
  mips64el: ['n64', 'little-endian'], mipsel: ['o32', 'little-endian'], ppc64el: ['ELFv2'],
};
test('elf: ABI facts of the Debian hello of each architecture', () => {
  let checked = 0;
  for (const arch of DEBIAN_ARCHES) {
    if (!fixtureRoot(arch)) continue;
    const abi = readElfFile(path.join(fixtureRoot(arch)!, 'usr/bin/hello')).abi;
    assert.deepEqual(abi.slice(0, ABI_EXPECT[arch]!.length), ABI_EXPECT[arch], `${arch}: ${abi.join(', ')}`);
    if (ABI_EXPECT[arch]!.length === 0) assert.deepEqual(abi, [], arch);
    checked++;
  }
  assert.ok(checked > 0, 'no fixtures');
});

test('elf: ABI facts from e_flags (table)', () => {
  const cases: [number, 32 | 64, 'little' | 'big', number, string[]][] = [
    [40, 32, 'little', 0x05000400, ['EABI5', 'hard-float']],
    [40, 32, 'little', 0x05000200, ['EABI5', 'soft-float']],
    [40, 32, 'little', 0x05000000, ['EABI5', 'float ABI unspecified']],
    [40, 32, 'big', 0x05800200, ['EABI5', 'soft-float', 'BE8']],
    [40, 32, 'little', 0x00000000, ['OABI/GNU']],
    [8, 32, 'little', 0x70001007, ['o32', 'little-endian', 'mips32r2']],
    [8, 32, 'big', 0x80000027, ['n32', 'big-endian', 'mips64r2']],
    [8, 32, 'big', 0x20002000, ['o64', 'big-endian', 'mips3']],
    [8, 32, 'little', 0x00003000, ['eabi32', 'little-endian', 'mips1']],
    [8, 64, 'little', 0x80000007, ['n64', 'little-endian', 'mips64r2']],
    [8, 32, 'little', 0x90000400, ['o32', 'little-endian', 'mips32r6', 'nan2008']],
    [243, 64, 'little', 0x5, ['double-float', 'RVC']],
    [243, 64, 'little', 0x0, ['soft-float']],
    [243, 32, 'little', 0x3, ['single-float', 'RVC']],
    [243, 64, 'little', 0x7, ['quad-float', 'RVC']],
    [243, 32, 'little', 0x8, ['soft-float', 'RVE']],
    [21, 64, 'little', 2, ['ELFv2']],
    [21, 64, 'big', 1, ['ELFv1']],
    [21, 64, 'big', 0, ['ELFv1 (unmarked)']],
    [21, 64, 'little', 0, ['ELFv2 (unmarked)']],
    [258, 64, 'little', 0x43, ['double-float', 'object ABI v1']],
    [258, 64, 'little', 0x01, ['soft-float', 'object ABI v0']],
    [62, 64, 'little', 0, []],
    [22, 64, 'big', 0, []],
  ];
  for (const [m, c, o, f, want] of cases) assert.deepEqual(decodeAbi(m, c, o, f), want, `${m} 0x${f.toString(16)}`);
});

// A little builder for hostile files: an ELF header plus program headers at phoff.
interface Ph { type: number; offset: bigint; filesz: bigint }
function build(opts: { cls?: 32 | 64; le?: boolean; type?: number; machine?: number; phoff?: bigint; phentsize?: number; phnum?: number; ph?: Ph[]; size?: number; tail?: [number, Uint8Array][] } = {}): Uint8Array {
  const cls = opts.cls ?? 64;
  const le = opts.le ?? true;
  const b = new Uint8Array(opts.size ?? 512);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, cls === 64 ? 2 : 1, le ? 1 : 2, 1]);
  dv.setUint16(16, opts.type ?? 3, le);
  dv.setUint16(18, opts.machine ?? 183, le);
  const ph = opts.ph ?? [];
  const phentsize = opts.phentsize ?? (cls === 64 ? 56 : 32);
  const phoff = opts.phoff ?? BigInt(cls === 64 ? 64 : 52);
  if (cls === 64) {
    dv.setBigUint64(32, phoff, le);
    dv.setUint16(54, phentsize, le);
    dv.setUint16(56, opts.phnum ?? ph.length, le);
  } else {
    dv.setUint32(28, Number(phoff), le);
    dv.setUint16(42, phentsize, le);
    dv.setUint16(44, opts.phnum ?? ph.length, le);
  }
  ph.forEach((p, i) => {
    const at = Number(phoff) + i * phentsize;
    dv.setUint32(at, p.type, le);
    if (cls === 64) { dv.setBigUint64(at + 8, p.offset, le); dv.setBigUint64(at + 32, p.filesz, le); }
    else { dv.setUint32(at + 4, Number(p.offset), le); dv.setUint32(at + 16, Number(p.filesz), le); }
  });
  for (const [at, bytes] of opts.tail ?? []) b.set(bytes, at);
  return b;
}
const text = (s: string) => new TextEncoder().encode(s);
const INTERP = 3;
const DYNAMIC = 2;
function dyn64(entries: [bigint, bigint][]): Uint8Array {
  const b = new Uint8Array(entries.length * 16 + 16);
  const dv = new DataView(b.buffer);
  entries.forEach(([t, v], i) => { dv.setBigInt64(i * 16, t, true); dv.setBigUint64(i * 16 + 8, v, true); });
  return b;
}

test('elf: generated headers, valid and hostile (code and byte offset)', () => {
  type Want = { code: string; offset: number } | ((i: ElfInfo) => void);
  const cases: [string, Uint8Array, Want][] = [
    ['empty file', new Uint8Array(0), { code: 'ELF_NOT_ELF', offset: 0 }],
    ['3 bytes of magic', text('\x7fEL'), { code: 'ELF_NOT_ELF', offset: 0 }],
    ['a script', text('#!/bin/sh\necho hi\n'), { code: 'ELF_NOT_ELF', offset: 0 }],
    ['10-byte identification', build().subarray(0, 10), { code: 'ELF_TRUNCATED', offset: 10 }],
    ['ELF64 header cut at 40', build().subarray(0, 40), { code: 'ELF_TRUNCATED', offset: 40 }],
    ['ELF32 header cut at 50', build({ cls: 32 }).subarray(0, 50), { code: 'ELF_TRUNCATED', offset: 50 }],
    ['class 0', (() => { const b = build(); b[4] = 0; return b; })(), { code: 'ELF_INVALID', offset: 4 }],
    ['class 3', (() => { const b = build(); b[4] = 3; return b; })(), { code: 'ELF_INVALID', offset: 4 }],
    ['byte order 0', (() => { const b = build(); b[5] = 0; return b; })(), { code: 'ELF_INVALID', offset: 5 }],
    ['byte order 9', (() => { const b = build(); b[5] = 9; return b; })(), { code: 'ELF_INVALID', offset: 5 }],
    ['e_phoff past 2^53', build({ phoff: 0xffffffffffffff00n, phnum: 3 }), { code: 'ELF_INVALID', offset: 32 }],
    ['e_phoff past end-of-file', build({ phoff: 100000n, phnum: 3 }), { code: 'ELF_TRUNCATED', offset: 100000 }],
    ['e_phoff past end-of-file (ELF32)', build({ cls: 32, phoff: 0xfffffff0n, phnum: 1 }), { code: 'ELF_TRUNCATED', offset: 0xfffffff0 }],
    ['program headers run past end-of-file', build({ phnum: 20, size: 200 }), { code: 'ELF_TRUNCATED', offset: 200 }],
    ['65535 program headers', build({ phnum: 0xffff }), { code: 'ELF_INVALID', offset: 56 }],
    ['e_phentsize 8', build({ phentsize: 8, phnum: 1 }), { code: 'ELF_INVALID', offset: 54 }],
    ['e_phentsize 8 (ELF32)', build({ cls: 32, phentsize: 8, phnum: 1 }), { code: 'ELF_INVALID', offset: 42 }],
    ['PT_INTERP without NUL', build({ ph: [{ type: INTERP, offset: 300n, filesz: 8n }], tail: [[300, text('/lib/ld-')]] }), { code: 'ELF_INVALID', offset: 300 }],
    ['PT_INTERP of 1 GiB', build({ ph: [{ type: INTERP, offset: 300n, filesz: 1n << 30n }] }), { code: 'ELF_INVALID', offset: 64 }],
    ['PT_INTERP of 1 byte', build({ ph: [{ type: INTERP, offset: 300n, filesz: 1n }] }), { code: 'ELF_INVALID', offset: 64 }],
    ['PT_INTERP offset past 2^53', build({ ph: [{ type: INTERP, offset: 1n << 60n, filesz: 10n }] }), { code: 'ELF_INVALID', offset: 64 }],
    ['PT_INTERP past end-of-file', build({ ph: [{ type: INTERP, offset: 500n, filesz: 30n }] }), { code: 'ELF_TRUNCATED', offset: 512 }],
    ['PT_INTERP with NUL padding', build({ ph: [{ type: INTERP, offset: 300n, filesz: 12n }], tail: [[300, text('/lib/ld.so\0\0')]] }),
      (i) => { assert.equal(i.interpreter, '/lib/ld.so'); assert.equal(i.linkage, 'dynamic'); assert.equal(i.pie, true); }],
    ['empty PT_INTERP (a .debug file)', build({ type: 2, ph: [{ type: INTERP, offset: 0n, filesz: 0n }] }),
      (i) => { assert.equal(i.interpreter, null); assert.equal(i.linkage, 'static'); }],
    ['ELF32 big-endian PT_INTERP', build({ cls: 32, le: false, type: 2, machine: 8, ph: [{ type: INTERP, offset: 200n, filesz: 14n }], tail: [[200, text('/lib/ld.so.1\0\0')]] }),
      (i) => { assert.deepEqual([i.elfClass, i.byteOrder, i.type, i.interpreter, i.pie, i.targets], [32, 'big', 'EXEC', '/lib/ld.so.1', false, ['mips']]); }],
    ['static PIE: DF_1_PIE, no PT_INTERP', build({ ph: [{ type: DYNAMIC, offset: 300n, filesz: 48n }], tail: [[300, dyn64([[0x6ffffffbn, 0x08000001n]])]] }),
      (i) => { assert.deepEqual([i.type, i.linkage, i.pie], ['DYN', 'static-pie', true]); }],
    ['shared object: DT_SONAME, no PT_INTERP', build({ ph: [{ type: DYNAMIC, offset: 300n, filesz: 48n }], tail: [[300, dyn64([[14n, 1n]])]] }),
      (i) => { assert.deepEqual([i.type, i.linkage, i.pie], ['DYN', 'static-pie', false]); }],
    ['library with a loader: PT_INTERP and DT_SONAME', build({ ph: [{ type: INTERP, offset: 400n, filesz: 4n }, { type: DYNAMIC, offset: 300n, filesz: 48n }], tail: [[300, dyn64([[14n, 1n]])], [400, text('/ld\0')]] }),
      (i) => { assert.deepEqual([i.linkage, i.pie, i.interpreter], ['dynamic', false, '/ld']); }],
    ['PT_DYNAMIC past end-of-file is ignored (the kernel never reads it)', build({ ph: [{ type: DYNAMIC, offset: 1n << 40n, filesz: 1n << 40n }] }),
      (i) => { assert.deepEqual([i.linkage, i.pie], ['static-pie', false]); }],
    ['a core file: program headers not read', build({ type: 4, phoff: 1n << 40n, phnum: 5 }), (i) => { assert.equal(i.type, 'CORE'); assert.deepEqual(i.targets, []); }],
    ['unknown e_type and e_machine', build({ type: 0x77, machine: 0x1234 }), (i) => { assert.deepEqual([i.type, i.eType, i.machineName, i.targets], ['UNKNOWN', 0x77, 'unknown (4660)', []]); }],
  ];
  for (const [name, bytes, want] of cases) {
    if (typeof want === 'function') {
      const inMemory = bytesReadAt(bytes);
      const recorded = (reads: number[]): ReadAt => (offset, length) => { reads.push(offset); return inMemory(offset, length); };
      const fullReads: number[] = [];
      const info = parseElf(recorded(fullReads));
      want(info);
      // Without pie: the same headers, from the same reads less the dynamic section's (at 300 in these cases).
      const headerReads: number[] = [];
      const headers = parseElf(recorded(headerReads), { pie: false });
      const { pie, ...rest } = info;
      assert.equal(typeof pie, 'boolean', name);
      assert.deepEqual(headers, rest, name);
      assert.ok(headerReads.every((o) => fullReads.includes(o)), name);
      if (/DF_1_PIE|DT_SONAME/.test(name)) assert.deepEqual([fullReads.includes(300), headerReads.includes(300)], [true, false], `${name}: reads ${headerReads}`);
      continue;
    }
    assert.throws(() => parseElf(bytesReadAt(bytes)), (e: unknown) => {
      assert.ok(isXarchError(e), `${name}: ${String(e)}`);
      assert.equal(e.code, want.code, `${name}: ${e.message}`);
      assert.equal(e.offset, want.offset, `${name}: ${e.message}`);
      return true;
    }, name);
  }
  assert.equal(looksLikeElf(text('\x7fELF')), true);
  assert.equal(looksLikeElf(text('\x7fEL')), false);
});

/** Every fixture sample of every architecture: busybox, hello, libc. */
function allSamples(): string[] {
  const out: string[] = [];
  for (const arch of DEBIAN_ARCHES) {
    const root = fixtureRoot(arch);
    if (!root) continue;
    out.push(...samples(root).filter((f) => /busybox|hello|libc\.so/.test(f)));
  }
  return out;
}

test('elf: every truncation of the headers of every fixture gives a typed error, then the same answer as the whole file', { skip: needFixture('arm64') }, () => {
  let truncations = 0;
  for (const f of allSamples()) {
    const whole = readFileSync(f);
    const full = parseElf(bytesReadAt(whole));
    // The reader needs the header, the program headers, the PT_INTERP string and PT_DYNAMIC:
    // cut at every byte of each range it reads (and a little around it).
    const ranges: [number, number][] = [];
    parseElf((o, n) => { ranges.push([o, n]); return bytesReadAt(whole)(o, n); });
    const cuts = new Set<number>();
    for (const [o, n] of ranges) for (let c = Math.max(0, o - 4); c <= Math.min(whole.length, o + n + 4); c++) cuts.add(c);
    for (const n of cuts) {
      const cut = whole.subarray(0, n);
      let info;
      try {
        info = parseElf(bytesReadAt(cut));
      } catch (e) {
        assert.ok(isXarchError(e) && /^ELF_(NOT_ELF|TRUNCATED)$/.test(e.code) && typeof e.offset === 'number', `${f} cut at ${n}: ${String(e)}`);
        // Within the headers the offset is where the file stopped; a PT_INTERP wholly past the end is named by its start.
        assert.ok(e.offset! <= Math.max(n, ...ranges.slice(2).map(([o]) => o)), `${f} cut at ${n}: offset ${e.offset}`);
        truncations++;
        continue;
      }
      // A cut past the program headers and loader path only loses the PT_DYNAMIC bytes (PIE test).
      assert.deepEqual([info.type, info.interpreter, info.linkage, info.targets, info.entry], [full.type, full.interpreter, full.linkage, full.targets, full.entry], `${f} cut at ${n}`);
    }
  }
  assert.ok(truncations > 2000, `${truncations} truncations refused`);
});

test('elf: random byte flips in the headers of every fixture never crash the reader', { skip: needFixture('arm64') }, () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  let refused = 0;
  let parsed = 0;
  for (const f of allSamples()) {
    const whole = readFileSync(f);
    const bytes = new Uint8Array(whole.subarray(0, 8192));
    for (let i = 0; i < 800; i++) {
      const b = Uint8Array.from(bytes);
      const flips = 1 + (rnd() % 6);
      // Mostly inside the ELF header and program headers, sometimes anywhere in the first 8 KiB.
      for (let k = 0; k < flips; k++) b[rnd() % (k === 0 ? 128 : rnd() % 2 ? 700 : b.length)] = rnd() & 0xff;
      try {
        parseElf(bytesReadAt(b));
        parsed++;
      } catch (e) {
        assert.ok(isXarchError(e) && /^ELF_/.test(e.code) && typeof e.offset === 'number', `${f}: ${String(e)}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 500 && parsed > 500, `refused ${refused}, parsed ${parsed}`);
});

test('elf: readElfFile reads only the headers (a few small reads, never the whole file)', { skip: needFixture('s390x') }, () => {
  const f = path.join(fixtureRoot('s390x')!, 'bin/busybox');
  const whole = readFileSync(f);
  const reads: [number, number][] = [];
  const read: ReadAt = (o, n) => { reads.push([o, n]); return bytesReadAt(whole)(o, n); };
  parseElf(read);
  assert.ok(reads.length <= 3, JSON.stringify(reads));
  assert.ok(reads.reduce((s, [, n]) => s + n, 0) < 4096, JSON.stringify(reads));
  assert.ok(whole.length > 100 * 4096);
});

const noGcc = needCommand('gcc', 'gcc');
test('elf: host-built static, static-pie, PIE, non-PIE and shared object (gcc)', { skip: noGcc || noReadelf }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-elf-'));
  try {
    const src = path.join(dir, 'm.c');
    spawnSync('sh', ['-c', `printf 'int main(void){return 0;}\\n' > ${src}`]);
    const builds: [string, string[], string, string, boolean][] = [
      ['static', ['-static'], 'EXEC', 'static', false],
      ['static-pie', ['-static-pie'], 'DYN', 'static-pie', true],
      ['pie', ['-pie', '-fPIE'], 'DYN', 'dynamic', true],
      ['nopie', ['-no-pie'], 'EXEC', 'dynamic', false],
      ['lib.so', ['-shared', '-fPIC'], 'DYN', 'static-pie', false],
    ];
    let built = 0;
    for (const [name, flags, type, linkage, pie] of builds) {
      const out = path.join(dir, name);
      const cc = spawnSync('gcc', [...flags, '-o', out, src], { encoding: 'utf8' });
      if (cc.status !== 0) { console.log(`# gcc ${flags.join(' ')} failed here: ${cc.stderr.split('\n')[0]}`); continue; }
      const i = readElfFile(out);
      assert.deepEqual([i.type, i.linkage, i.pie], [type, linkage, pie], name);
      assert.equal(i.pie, readelf(out).pie, name);
      assert.deepEqual(i.targets, os.arch() === 'x64' ? ['x86_64'] : i.targets, name);
      built++;
    }
    assert.ok(built >= 3, `only ${built} builds`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('elf: file errors name the file and keep the code and offset', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-elf-'));
  try {
    assert.throws(() => readElfFile(path.join(dir, 'missing')), (e: any) => e.code === 'PATH_NOT_FOUND');
    assert.throws(() => readElfFile(dir), (e: any) => e.code === 'PATH_NOT_FILE');
    spawnSync('sh', ['-c', `printf '\\177ELF\\002\\001' > ${dir}/short; mkfifo ${dir}/fifo`]);
    assert.throws(() => readElfFile(path.join(dir, 'short')), (e: any) => e.code === 'ELF_TRUNCATED' && e.offset === 6 && e.message.startsWith(path.join(dir, 'short')));
    // A FIFO is refused without waiting for a writer.
    assert.throws(() => readElfFile(path.join(dir, 'fifo')), (e: any) => e.code === 'PATH_NOT_FILE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
