// The catalogue of QEMU user-mode targets and every name a user types for
// them. Pure data and lookups: no IO.
import { firstMaskedMismatch, unescapeHex } from './bytes.js';
import { XarchError } from './errors.js';

export type NameScheme = 'qemu' | 'docker' | 'debian' | 'uname' | 'gnu' | 'go';

export interface Target {
  /** QEMU's name for the target: the emulator is qemu-<qemu>. */
  readonly name: string;
  /** Targets in one family run each other's code natively on a host of that family. */
  readonly family: string;
  /** QEMU CPU name of the emulator (i486 runs under qemu-i386). */
  readonly cpu: string;
  readonly elfClass: 32 | 64;
  readonly byteOrder: 'little' | 'big';
  /** e_machine */
  readonly machine: number;
  readonly magic: Uint8Array;
  readonly mask: Uint8Array;
  readonly description: string;
  readonly names: Readonly<Partial<Record<Exclude<NameScheme, 'qemu'>, readonly string[]>>>;
}

// The ELF identification shared by every Linux target: "\x7fELF", class,
// data, EI_VERSION=1, then e_type and e_machine (bytes 16-19), all compared.
// e_type is masked with 0xfe so ET_EXEC (2) and ET_DYN (3: PIEs and static
// PIEs) both match, but relocatable objects (1) and cores (4) do not.
//
// Where this catalogue departs from BOTH published tables (upstream QEMU's
// qemu-binfmt-conf.sh and Debian's qemu-user-static 7.2 binfmt.d files),
// and why; test/arch.test.ts proves each on real Debian binaries:
// - Byte 8 (EI_ABIVERSION) is masked out on every target; both tables
//   require 0 except on MIPS. The ABI version is a per-OSABI number (glibc
//   accepts any below its LIBC_ABI_MAX for OSABI GNU, binutils sets 1 on
//   MIPS executables with PLTs) that QEMU's loader never checks: a rule that
//   requires 0 hands such a binary back to the host kernel (ENOEXEC). Test:
//   Debian busybox and hello with byte 8 set to 1 still run under QEMU, and
//   match xarch's rule but not the published one.
// - Byte 7 (EI_OSABI) is masked out on every target, as upstream does on
//   all but loongarch64 (0xfc there and in Debian's ppc, s390x, sh4, sparc
//   files). GNU/Linux binaries carry OSABI 3 (GNU) when they use IFUNC or
//   unique symbols, musl and Go binaries 0; all run under qemu-linux-user.
//   Debian's s390x and ppc64el roots hold both (tested).
// - ppc64le compares the high byte of e_machine (byte 19); both tables mask
//   it (\x00), which also admits e_machine 277, 533, ... Every Debian
//   ppc64el binary has 0 there (tested), so the full e_machine costs nothing.
// - x86 (i386, i486, x86_64): bytes 5 and 6 are compared exactly (upstream
//   masks them with 0xfe, admitting EI_DATA/EI_VERSION 0, which no loader
//   runs); Debian ships no x86 file on an x86 host. Every Debian i386 binary
//   matches (tested).
// - microblaze/microblazeel use EM_MICROBLAZE (189), what binutils emits
//   today; both tables use EM_MICROBLAZE_OLD (0xbaab). QEMU accepts both
//   (linux-user/microblaze/target_elf.h elf_check_machine), but one rule can
//   hold only one. Debian has no microblaze port: tested on a built header.
// The MIPS rules follow Debian (e_version not compared) rather than upstream.
/**
 * The 20 bytes every target compares: e_ident (magic, class, data, version;
 * OS/ABI and its version left out by the mask), e_type EXEC or DYN (the mask
 * drops its lowest bit) and e_machine. Built as bytes: the catalogue is made
 * at start-up of every command.
 */
function header(elfClass: 32 | 64, order: 'little' | 'big', machine: number): { magic: number[]; mask: number[] } {
  const le = order === 'little';
  const ident = [0x7f, 0x45, 0x4c, 0x46, elfClass === 64 ? 2 : 1, le ? 1 : 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const identMask = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  const m0 = machine & 0xff;
  const m1 = (machine >> 8) & 0xff;
  return le
    ? { magic: [...ident, 0x02, 0x00, m0, m1], mask: [...identMask, 0xfe, 0xff, 0xff, 0xff] }
    : { magic: [...ident, 0x00, 0x02, m1, m0], mask: [...identMask, 0xff, 0xfe, 0xff, 0xff] };
}

interface Spec {
  name: string;
  family: string;
  cpu?: string;
  elfClass: 32 | 64;
  order: 'little' | 'big';
  machine: number;
  description: string;
  names: Target['names'];
  /** Extra bytes compared after the 20-byte header (MIPS ABI selection by e_flags). */
  extra?: { magic: string; mask: string };
}

// e_flags of 32-bit MIPS: byte 36..39. EF_MIPS_ABI2 (0x20) marks n32; o32
// has it clear. Bytes 20..35 (e_version, e_entry, e_phoff, e_shoff) are not
// compared. The check sits in the low byte of e_flags: byte 36 little-endian,
// byte 39 big-endian.
const PAD_20_TO_35 = '\\x00'.repeat(16);
const mipsO32 = (order: 'little' | 'big') =>
  order === 'little'
    ? { magic: PAD_20_TO_35 + '\\x00\\x00\\x00\\x00', mask: PAD_20_TO_35 + '\\x20\\x00\\x00\\x00' }
    : { magic: PAD_20_TO_35 + '\\x00\\x00\\x00\\x00', mask: PAD_20_TO_35 + '\\x00\\x00\\x00\\x20' };
const mipsN32 = (order: 'little' | 'big') =>
  order === 'little'
    ? { magic: PAD_20_TO_35 + '\\x20\\x00\\x00\\x00', mask: PAD_20_TO_35 + '\\x20\\x00\\x00\\x00' }
    : { magic: PAD_20_TO_35 + '\\x00\\x00\\x00\\x20', mask: PAD_20_TO_35 + '\\x00\\x00\\x00\\x20' };

const SPECS: Spec[] = [
  { name: 'x86_64', family: 'i386', elfClass: 64, order: 'little', machine: 62, description: 'x86-64 (AMD64)',
    names: { docker: ['linux/amd64', 'amd64'], debian: ['amd64'], uname: ['x86_64'], gnu: ['x86_64'], go: ['amd64'] } },
  { name: 'i386', family: 'i386', elfClass: 32, order: 'little', machine: 3, description: 'x86 32-bit',
    names: { docker: ['linux/386', '386'], debian: ['i386'], uname: ['i386', 'i486', 'i586', 'i686'], gnu: ['i386', 'i486', 'i586', 'i686'], go: ['386'] } },
  { name: 'i486', family: 'i386', cpu: 'i386', elfClass: 32, order: 'little', machine: 6, description: 'x86 32-bit, obsolete EM_486 binaries',
    names: {} },
  { name: 'aarch64', family: 'arm', elfClass: 64, order: 'little', machine: 183, description: 'ARM 64-bit (AArch64)',
    names: { docker: ['linux/arm64', 'linux/arm64/v8', 'arm64', 'arm64/v8'], debian: ['arm64'], uname: ['aarch64', 'arm64'], gnu: ['aarch64'], go: ['arm64'] } },
  { name: 'aarch64_be', family: 'armeb', elfClass: 64, order: 'big', machine: 183, description: 'ARM 64-bit big-endian',
    names: { uname: ['aarch64_be'], gnu: ['aarch64_be'] } },
  { name: 'arm', family: 'arm', elfClass: 32, order: 'little', machine: 40, description: 'ARM 32-bit (armhf, armel)',
    names: { docker: ['linux/arm', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5', 'arm', 'arm/v7', 'arm/v6', 'arm/v5'], debian: ['armhf', 'armel', 'arm'], uname: ['armv7l', 'armv6l', 'armv5tel', 'armv5tejl', 'armv8l', 'arm'], gnu: ['arm', 'armv7', 'armv7a', 'armv6', 'armv5te', 'armhf', 'armel'], go: ['arm'] } },
  { name: 'armeb', family: 'armeb', elfClass: 32, order: 'big', machine: 40, description: 'ARM 32-bit big-endian',
    names: { uname: ['armeb', 'armv7b', 'armv8b'], gnu: ['armeb'] } },
  { name: 'riscv64', family: 'riscv', elfClass: 64, order: 'little', machine: 243, description: 'RISC-V 64-bit',
    names: { docker: ['linux/riscv64', 'riscv64'], debian: ['riscv64'], uname: ['riscv64'], gnu: ['riscv64'], go: ['riscv64'] } },
  { name: 'riscv32', family: 'riscv', elfClass: 32, order: 'little', machine: 243, description: 'RISC-V 32-bit',
    names: { uname: ['riscv32'], gnu: ['riscv32'] } },
  { name: 'ppc64le', family: 'ppcle', elfClass: 64, order: 'little', machine: 21, description: 'PowerPC 64-bit little-endian',
    names: { docker: ['linux/ppc64le', 'ppc64le'], debian: ['ppc64el'], uname: ['ppc64le'], gnu: ['powerpc64le', 'ppc64le'], go: ['ppc64le'] } },
  { name: 'ppc64', family: 'ppc', elfClass: 64, order: 'big', machine: 21, description: 'PowerPC 64-bit big-endian',
    names: { docker: ['linux/ppc64', 'ppc64'], debian: ['ppc64'], uname: ['ppc64'], gnu: ['powerpc64', 'ppc64'], go: ['ppc64'] } },
  { name: 'ppc', family: 'ppc', elfClass: 32, order: 'big', machine: 20, description: 'PowerPC 32-bit',
    names: { docker: ['linux/ppc', 'ppc'], debian: ['powerpc'], uname: ['ppc'], gnu: ['powerpc', 'ppc'] } },
  { name: 's390x', family: 's390x', elfClass: 64, order: 'big', machine: 22, description: 'IBM Z (s390x)',
    names: { docker: ['linux/s390x', 's390x'], debian: ['s390x'], uname: ['s390x'], gnu: ['s390x'], go: ['s390x'] } },
  { name: 'mips64el', family: 'mips', elfClass: 64, order: 'little', machine: 8, description: 'MIPS 64-bit little-endian (n64)',
    names: { docker: ['linux/mips64le', 'mips64le'], debian: ['mips64el'], uname: ['mips64el'], gnu: ['mips64el', 'mipsisa64r6el'], go: ['mips64le'] } },
  { name: 'mips64', family: 'mips', elfClass: 64, order: 'big', machine: 8, description: 'MIPS 64-bit big-endian (n64)',
    names: { docker: ['linux/mips64', 'mips64'], debian: ['mips64'], uname: ['mips64'], gnu: ['mips64', 'mipsisa64r6'], go: ['mips64'] } },
  { name: 'mipsel', family: 'mips', elfClass: 32, order: 'little', machine: 8, description: 'MIPS 32-bit little-endian (o32)',
    names: { docker: ['linux/mipsle', 'mipsle'], debian: ['mipsel'], uname: ['mipsel'], gnu: ['mipsel', 'mipsisa32r6el'], go: ['mipsle'] }, extra: mipsO32('little') },
  { name: 'mips', family: 'mips', elfClass: 32, order: 'big', machine: 8, description: 'MIPS 32-bit big-endian (o32)',
    names: { docker: ['linux/mips', 'mips'], debian: ['mips'], uname: ['mips'], gnu: ['mips', 'mipsisa32r6'], go: ['mips'] }, extra: mipsO32('big') },
  { name: 'mipsn32el', family: 'mips', elfClass: 32, order: 'little', machine: 8, description: 'MIPS n32 little-endian',
    names: { debian: ['mipsn32el'] }, extra: mipsN32('little') },
  { name: 'mipsn32', family: 'mips', elfClass: 32, order: 'big', machine: 8, description: 'MIPS n32 big-endian',
    names: { debian: ['mipsn32'] }, extra: mipsN32('big') },
  { name: 'loongarch64', family: 'loongarch', elfClass: 64, order: 'little', machine: 258, description: 'LoongArch 64-bit',
    names: { docker: ['linux/loong64', 'loong64'], debian: ['loong64'], uname: ['loongarch64'], gnu: ['loongarch64'], go: ['loong64'] } },
  { name: 'alpha', family: 'alpha', elfClass: 64, order: 'little', machine: 0x9026, description: 'DEC Alpha',
    names: { debian: ['alpha'], uname: ['alpha'], gnu: ['alpha', 'alphaev67'] } },
  { name: 'hppa', family: 'hppa', elfClass: 32, order: 'big', machine: 15, description: 'PA-RISC',
    names: { debian: ['hppa'], uname: ['parisc', 'parisc64', 'hppa'], gnu: ['hppa', 'hppa1.1', 'hppa2.0'] } },
  { name: 'm68k', family: 'm68k', elfClass: 32, order: 'big', machine: 4, description: 'Motorola 68000',
    names: { debian: ['m68k'], uname: ['m68k'], gnu: ['m68k'] } },
  { name: 'sh4', family: 'sh4', elfClass: 32, order: 'little', machine: 42, description: 'SuperH SH-4',
    names: { debian: ['sh4'], uname: ['sh4', 'sh4a'], gnu: ['sh4', 'sh4a'] } },
  { name: 'sh4eb', family: 'sh4', elfClass: 32, order: 'big', machine: 42, description: 'SuperH SH-4 big-endian',
    names: { uname: ['sh4eb'], gnu: ['sh4eb'] } },
  { name: 'sparc64', family: 'sparc', elfClass: 64, order: 'big', machine: 43, description: 'SPARC 64-bit',
    names: { debian: ['sparc64'], uname: ['sparc64'], gnu: ['sparc64'] } },
  { name: 'sparc', family: 'sparc', elfClass: 32, order: 'big', machine: 2, description: 'SPARC 32-bit',
    names: { debian: ['sparc'], uname: ['sparc'], gnu: ['sparc'] } },
  { name: 'sparc32plus', family: 'sparc', elfClass: 32, order: 'big', machine: 18, description: 'SPARC V8+ (32-bit on V9)',
    names: { gnu: ['sparcv9'] } },
  { name: 'microblaze', family: 'microblaze', elfClass: 32, order: 'big', machine: 189, description: 'MicroBlaze big-endian',
    names: { uname: ['microblaze'], gnu: ['microblaze'] } },
  { name: 'microblazeel', family: 'microblazeel', elfClass: 32, order: 'little', machine: 189, description: 'MicroBlaze little-endian',
    names: { uname: ['microblazeel'], gnu: ['microblazeel'] } },
  { name: 'or1k', family: 'or1k', elfClass: 32, order: 'big', machine: 92, description: 'OpenRISC 1000',
    names: { uname: ['or1k', 'openrisc'], gnu: ['or1k'] } },
  { name: 'xtensa', family: 'xtensa', elfClass: 32, order: 'little', machine: 94, description: 'Xtensa',
    names: { uname: ['xtensa'], gnu: ['xtensa'] } },
  { name: 'xtensaeb', family: 'xtensaeb', elfClass: 32, order: 'big', machine: 94, description: 'Xtensa big-endian',
    names: { gnu: ['xtensaeb'] } },
  { name: 'hexagon', family: 'hexagon', elfClass: 32, order: 'little', machine: 164, description: 'Qualcomm Hexagon',
    names: { uname: ['hexagon'], gnu: ['hexagon'] } },
  { name: 'cris', family: 'cris', elfClass: 32, order: 'little', machine: 76, description: 'Axis CRIS',
    names: { uname: ['cris', 'crisv32'], gnu: ['cris', 'crisv32'] } },
  { name: 'nios2', family: 'nios2', elfClass: 32, order: 'little', machine: 113, description: 'Nios II',
    names: { uname: ['nios2'], gnu: ['nios2'] } },
];

function build(spec: Spec): Target {
  const h = header(spec.elfClass, spec.order, spec.machine);
  const magic = Uint8Array.from(spec.extra ? [...h.magic, ...unescapeHex(spec.extra.magic)] : h.magic);
  const mask = Uint8Array.from(spec.extra ? [...h.mask, ...unescapeHex(spec.extra.mask)] : h.mask);
  return Object.freeze({
    name: spec.name,
    family: spec.family,
    cpu: spec.cpu ?? spec.name,
    elfClass: spec.elfClass,
    byteOrder: spec.order,
    machine: spec.machine,
    magic,
    mask,
    description: spec.description,
    names: spec.names,
  });
}

export const TARGETS: readonly Target[] = Object.freeze(SPECS.map(build));

const BY_NAME = new Map(TARGETS.map((t) => [t.name, t]));

export function getTarget(name: string): Target | undefined {
  return BY_NAME.get(name);
}

/**
 * The binfmt_misc entry name xarch gives a target: `qemu-<target>`, the name
 * Docker/buildx, tonistiigi/binfmt and Debian use, so tools that look for
 * `qemu-aarch64` find it. The only place this name is built.
 */
export function xarchEntryName(t: Target): string {
  return `qemu-${t.name}`;
}

/** The catalogue target an entry name stands for in xarch's scheme, if any. */
export function targetForEntryName(name: string): Target | undefined {
  const m = /^qemu-(.+)$/.exec(name);
  return m ? getTarget(m[1]!) : undefined;
}

/** The emulator's base name, e.g. "qemu-aarch64" (add "-static" for Debian's static build). */
export function emulatorName(t: Target): string {
  return `qemu-${t.cpu}`;
}

export interface Resolved {
  target: Target;
  scheme: NameScheme;
  /** What was typed, normalised. */
  input: string;
  /** An ABI variant the name carries (armhf, armel, v7, v6, musl…), when it does. */
  variant?: string;
}

const DEBIAN_VARIANT: Record<string, string> = { armhf: 'hard-float', armel: 'soft-float' };

function lookup(name: string): { target: Target; scheme: NameScheme } | undefined {
  const t = BY_NAME.get(name);
  if (t) return { target: t, scheme: 'qemu' };
  const order: Exclude<NameScheme, 'qemu'>[] = ['docker', 'debian', 'uname', 'go', 'gnu'];
  for (const scheme of order) {
    for (const target of TARGETS) {
      if (target.names[scheme]?.includes(name)) return { target, scheme };
    }
  }
  return undefined;
}

/**
 * Resolve any name a user types: QEMU target, Docker/OCI platform
 * (linux/arm/v7), Debian architecture (armhf), `uname -m` (armv7l), GNU
 * triplet (arm-linux-gnueabihf) or Go GOARCH. Throws ARCH_UNKNOWN listing the
 * closest names.
 */
export function resolveTarget(input: string): Resolved {
  const raw = input.trim();
  const name = raw.toLowerCase();
  const direct = lookup(name);
  if (direct) {
    const r: Resolved = { ...direct, input: name };
    const variant = DEBIAN_VARIANT[name] ?? (name.match(/\/(v\d)$/)?.[1]);
    if (variant) r.variant = variant;
    return r;
  }
  // GNU triplet: cpu-[vendor-]os[-abi], e.g. aarch64-linux-gnu,
  // arm-linux-gnueabihf, mips64el-linux-gnuabi64, x86_64-pc-linux-musl.
  const parts = name.split('-');
  if (parts.length >= 2) {
    const cpu = parts[0]!;
    const rest = parts.slice(1).join('-');
    let hit = lookup(cpu);
    // n32 triplets name a 64-bit CPU with a 32-bit ABI.
    if (hit && /gnuabin32/.test(rest)) {
      const n32 = BY_NAME.get(hit.target.byteOrder === 'little' ? 'mipsn32el' : 'mipsn32');
      if (n32 && hit.target.family === 'mips') hit = { target: n32, scheme: 'gnu' };
    }
    if (hit && /linux|gnu|musl|elf|uclibc|android/.test(rest)) {
      const r: Resolved = { target: hit.target, scheme: 'gnu', input: name };
      const abi = rest.match(/(gnueabihf|gnueabi|musleabihf|musleabi|gnuabi64|gnuabin32|musl|gnu)$/)?.[1];
      if (abi) r.variant = abi;
      return r;
    }
  }
  // linux/arm64/v8-style platform with an unknown variant: resolve the base.
  const plat = name.match(/^(?:linux\/)?([a-z0-9_]+)(?:\/(v\d+))?$/);
  if (plat && plat[2]) {
    const hit = lookup(`linux/${plat[1]}`) ?? lookup(plat[1]!);
    if (hit) return { target: hit.target, scheme: 'docker', input: name, variant: plat[2] };
  }
  const close = closestNames(name, 5);
  throw new XarchError('ARCH_UNKNOWN', `unknown architecture '${raw}'`, {
    hint: close.length ? `did you mean ${close.join(', ')}? ('xarch arches' lists every name)` : "'xarch arches' lists every name",
  });
}

/** Every name the catalogue knows, each once. */
export function allNames(): string[] {
  const set = new Set<string>();
  for (const t of TARGETS) {
    set.add(t.name);
    for (const list of Object.values(t.names)) for (const n of list ?? []) set.add(n);
  }
  return [...set];
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function closestNames(name: string, count: number): string[] {
  const scored = allNames().map((n) => {
    let d = editDistance(name, n);
    if (n.includes(name) || name.includes(n)) d = Math.min(d, Math.abs(n.length - name.length) / 2);
    return { n, d };
  });
  scored.sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  const limit = Math.max(2, Math.ceil(name.length / 2));
  return scored.filter((s) => s.d <= limit).slice(0, count).map((s) => s.n);
}

/** The family of the machine `uname -m` names, or undefined for an unknown machine. */
export function hostFamily(unameMachine: string): string | undefined {
  const hit = lookup(unameMachine.toLowerCase());
  return hit?.target.family;
}

/**
 * Targets that are the host's own: a handler for any of them would capture
 * the host's native binaries. On x86_64 that is x86_64, i386 and i486.
 */
export function hostTargets(unameMachine: string): Target[] {
  const fam = hostFamily(unameMachine);
  return fam === undefined ? [] : TARGETS.filter((t) => t.family === fam);
}

export function isHostTarget(t: Target, unameMachine: string): boolean {
  return hostFamily(unameMachine) === t.family;
}

/** Does a file header satisfy the target's magic/mask at offset 0 (bytes past its end read as 0)? */
export function headerMatches(t: Target, head: Uint8Array): boolean {
  return firstMaskedMismatch(head, t.magic, t.mask) < 0;
}

/** Targets by e_machine (both byte orders), so a header is only compared with its candidates. */
const BY_MACHINE = new Map<number, Target[]>();
for (const t of TARGETS) {
  for (const m of [t.machine, ((t.machine & 0xff) << 8) | (t.machine >> 8)]) {
    const l = BY_MACHINE.get(m) ?? [];
    if (!l.includes(t)) l.push(t);
    BY_MACHINE.set(m, l);
  }
}

/** The catalogue targets whose rule matches this file header. */
export function targetsForHeader(head: Uint8Array): Target[] {
  // e_machine read little-endian; the byte-swapped key covers big-endian files.
  const m = (head[18] ?? 0) | ((head[19] ?? 0) << 8);
  const candidates = BY_MACHINE.get(m);
  if (!candidates) return [];
  return candidates.filter((t) => headerMatches(t, head));
}
