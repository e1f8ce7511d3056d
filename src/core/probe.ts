// Self-test probes: a tiny static ELF executable per target, built in
// memory. Each one writes "xarch-probe <target>\n" to stdout and exits with
// PROBE_EXIT through that architecture's Linux system-call ABI. No
// toolchain, no download: the machine code below is hand-assembled, and
// test/probe.test.ts runs every probe under its real QEMU emulator.
import { getTarget, headerMatches } from './arch.js';
import { XarchError } from './errors.js';

export const PROBE_EXIT = 42;

export function probeMessage(target: string): string {
  return `xarch-probe ${target}\n`;
}

export interface Layout {
  /** Virtual address of the first byte of the file. */
  base: number;
  /** Address of the first instruction and of the message. */
  code: number;
  msg: number;
  len: number;
}

export interface ProbeSpec {
  elfClass: 32 | 64;
  order: 'little' | 'big';
  machine: number;
  flags: number;
  base: number;
  /** Instruction words (4 bytes each, in the target's byte order) or raw bytes. */
  code(l: Layout): number[] | Uint8Array;
  /** ELFv1 PowerPC: the entry point is a function descriptor, not code. */
  descriptor?: boolean;
  /** AArch64 instructions are little-endian even in big-endian (BE8) programs. */
  codeOrder?: 'little' | 'big';
}

const hi16 = (v: number) => (v >>> 16) & 0xffff;
const lo16 = (v: number) => v & 0xffff;

// --- per-architecture code -------------------------------------------------

function aarch64(l: Layout): number[] {
  const adrAt = l.code + 4;
  const d = l.msg - adrAt;
  const adr = 0x10000000 | ((d & 3) << 29) | (((d >> 2) & 0x7ffff) << 5) | 1; // adr x1, msg
  return [
    0xd2800020, // mov x0, #1
    adr,
    0xd2800002 | (l.len << 5), // mov x2, #len
    0xd2800808, // mov x8, #64 (write)
    0xd4000001, // svc #0
    0xd2800000 | (PROBE_EXIT << 5), // mov x0, #42
    0xd2800ba8, // mov x8, #93 (exit)
    0xd4000001, // svc #0
  ];
}

function arm(l: Layout): number[] {
  const addAt = l.code + 4;
  const d = l.msg - (addAt + 8); // pc reads as the instruction address + 8
  return [
    0xe3a00001, // mov r0, #1
    0xe28f1000 | d, // add r1, pc, #d
    0xe3a02000 | l.len, // mov r2, #len
    0xe3a07004, // mov r7, #4 (write)
    0xef000000, // svc 0
    0xe3a00000 | PROBE_EXIT, // mov r0, #42
    0xe3a07001, // mov r7, #1 (exit)
    0xef000000, // svc 0
  ];
}

function riscv(l: Layout): number[] {
  const addi = (rd: number, rs: number, imm: number) => ((imm & 0xfff) << 20) | (rs << 15) | (rd << 7) | 0x13;
  const auipcAt = l.code + 4;
  return [
    addi(10, 0, 1), // li a0, 1
    (11 << 7) | 0x17, // auipc a1, 0
    addi(11, 11, l.msg - auipcAt), // addi a1, a1, msg-.
    addi(12, 0, l.len), // li a2, len
    addi(17, 0, 64), // li a7, 64 (write)
    0x00000073, // ecall
    addi(10, 0, PROBE_EXIT), // li a0, 42
    addi(17, 0, 93), // li a7, 93 (exit)
    0x00000073, // ecall
  ];
}

function ppc(l: Layout): number[] {
  const li = (r: number, v: number) => 0x38000000 | (r << 21) | (v & 0xffff); // addi r, 0, v
  return [
    li(0, 4), // li r0, 4 (write)
    li(3, 1), // li r3, 1
    0x3c000000 | (4 << 21) | hi16(l.msg), // lis r4, msg@h
    0x60000000 | (4 << 21) | (4 << 16) | lo16(l.msg), // ori r4, r4, msg@l
    li(5, l.len), // li r5, len
    0x44000002, // sc
    li(0, 1), // li r0, 1 (exit)
    li(3, PROBE_EXIT), // li r3, 42
    0x44000002, // sc
  ];
}

function mips(write: number, exit: number) {
  return (l: Layout): number[] => {
    const ori = (rt: number, rs: number, v: number) => 0x34000000 | (rs << 21) | (rt << 16) | (v & 0xffff);
    return [
      ori(4, 0, 1), // li a0, 1
      0x3c000000 | (5 << 16) | hi16(l.msg), // lui a1, msg@h
      ori(5, 5, lo16(l.msg)), // ori a1, a1, msg@l
      ori(6, 0, l.len), // li a2, len
      ori(2, 0, write), // li v0, write
      0x0000000c, // syscall
      ori(4, 0, PROBE_EXIT), // li a0, 42
      ori(2, 0, exit), // li v0, exit
      0x0000000c, // syscall
    ];
  };
}

function s390x(l: Layout): Uint8Array {
  const larlAt = l.code + 4;
  const d = (l.msg - larlAt) / 2; // halfwords
  return Uint8Array.from([
    0xa7, 0x29, 0x00, 0x01, // lghi %r2, 1
    0xc0, 0x30, (d >>> 24) & 0xff, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff, // larl %r3, msg
    0xa7, 0x49, 0x00, l.len, // lghi %r4, len
    0x0a, 0x04, // svc 4 (write)
    0xa7, 0x29, 0x00, PROBE_EXIT, // lghi %r2, 42
    0x0a, 0x01, // svc 1 (exit)
  ]);
}

/** A 32-bit little-endian immediate, as x86 instructions take it. */
export const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/**
 * The x86 probe: write(1, msg, len) then exit(42), `mov r32, imm32` for each
 * register. i386 and x86_64 differ only in the syscall numbers, the opcodes
 * of the argument registers and the trap instruction.
 */
function x86Probe(l: Layout, abi: { write: number; exit: number; args: readonly [number, number, number]; trap: readonly number[] }): Uint8Array {
  const [arg1, arg2, arg3] = abi.args;
  const movEax = 0xb8;
  return Uint8Array.from([
    movEax, ...le32(abi.write), arg1, ...le32(1), arg2, ...le32(l.msg), arg3, ...le32(l.len), ...abi.trap,
    movEax, ...le32(abi.exit), arg1, ...le32(PROBE_EXIT), ...abi.trap,
  ]);
}

// i386: ebx, ecx, edx and int 0x80; x86_64: edi, esi, edx and syscall.
const i386 = (l: Layout) => x86Probe(l, { write: 4, exit: 1, args: [0xbb, 0xb9, 0xba], trap: [0xcd, 0x80] });
const x86_64 = (l: Layout) => x86Probe(l, { write: 1, exit: 60, args: [0xbf, 0xbe, 0xba], trap: [0x0f, 0x05] });

// e_flags: ARM EABI5 with hard float; MIPS: arch level + o32/n64, no PIC;
// PowerPC64: ELFv2 for little-endian, ELFv1 for big-endian (so the entry
// point is a function descriptor); RISC-V double-float ABI.
const SPECS: Record<string, ProbeSpec> = {
  aarch64: { elfClass: 64, order: 'little', machine: 183, flags: 0, base: 0x400000, code: aarch64 },
  aarch64_be: { elfClass: 64, order: 'big', machine: 183, flags: 0, base: 0x400000, code: aarch64, codeOrder: 'little' },
  arm: { elfClass: 32, order: 'little', machine: 40, flags: 0x05000400, base: 0x10000, code: arm },
  armeb: { elfClass: 32, order: 'big', machine: 40, flags: 0x05000400, base: 0x10000, code: arm },
  riscv64: { elfClass: 64, order: 'little', machine: 243, flags: 0x4, base: 0x10000, code: riscv },
  riscv32: { elfClass: 32, order: 'little', machine: 243, flags: 0x4, base: 0x10000, code: riscv },
  ppc64le: { elfClass: 64, order: 'little', machine: 21, flags: 2, base: 0x10000000, code: ppc },
  ppc64: { elfClass: 64, order: 'big', machine: 21, flags: 1, base: 0x10000000, code: ppc, descriptor: true },
  ppc: { elfClass: 32, order: 'big', machine: 20, flags: 0, base: 0x10000000, code: ppc },
  s390x: { elfClass: 64, order: 'big', machine: 22, flags: 0, base: 0x1000000, code: s390x },
  mips64el: { elfClass: 64, order: 'little', machine: 8, flags: 0x80000006, base: 0x10000000, code: mips(5001, 5058) },
  mips64: { elfClass: 64, order: 'big', machine: 8, flags: 0x80000006, base: 0x10000000, code: mips(5001, 5058) },
  mipsel: { elfClass: 32, order: 'little', machine: 8, flags: 0x70001006, base: 0x400000, code: mips(4004, 4001) },
  mips: { elfClass: 32, order: 'big', machine: 8, flags: 0x70001006, base: 0x400000, code: mips(4004, 4001) },
  mipsn32el: { elfClass: 32, order: 'little', machine: 8, flags: 0x80000026, base: 0x10000000, code: mips(6001, 6058) },
  mipsn32: { elfClass: 32, order: 'big', machine: 8, flags: 0x80000026, base: 0x10000000, code: mips(6001, 6058) },
  i386: { elfClass: 32, order: 'little', machine: 3, flags: 0, base: 0x8048000, code: i386 },
  x86_64: { elfClass: 64, order: 'little', machine: 62, flags: 0, base: 0x400000, code: x86_64 },
};

/** Targets xarch can build a probe for. */
export const PROBE_TARGETS: readonly string[] = Object.freeze(Object.keys(SPECS));

export function hasProbe(target: string): boolean {
  return Object.hasOwn(SPECS, target);
}

/**
 * The probe executable for `target`: ELF header, one PT_LOAD program header
 * mapping the whole file read+execute, the code, then the message.
 */
export function buildProbe(target: string): Uint8Array {
  const spec = SPECS[target];
  if (!spec) {
    throw new XarchError('ARCH_UNKNOWN', `no self-test probe for ${target}`, { hint: `probes exist for: ${PROBE_TARGETS.join(', ')}` });
  }
  const buf = buildElf(spec, new TextEncoder().encode(probeMessage(target)));
  const t = getTarget(target);
  if (t && !headerMatches(t, buf)) {
    throw new XarchError('INTERNAL', `the ${target} probe does not match its own catalogue magic`, { hint: 'this is a bug in xarch' });
  }
  return buf;
}

/** What the exec helper writes to stderr before exiting with the errno of a failed execve. */
export const EXEC_HELPER_MARKER = 'xarch-exec-helper: execve failed\n';

function x86_64Exec(l: Layout): Uint8Array {
  return Uint8Array.from([
    0x48, 0x8b, 0x7c, 0x24, 0x10, // mov rdi, [rsp+16]      argv[1]
    0x48, 0x8d, 0x74, 0x24, 0x10, // lea rsi, [rsp+16]      &argv[1]
    0x48, 0x8b, 0x14, 0x24, // mov rdx, [rsp]               argc
    0x48, 0x8d, 0x14, 0xd6, // lea rdx, [rsi+rdx*8]         envp
    0xb8, ...le32(59), // mov eax, 59 (execve)
    0x0f, 0x05, // syscall
    0xf7, 0xd8, // neg eax                                  errno
    0x89, 0xc3, // mov ebx, eax
    0xb8, ...le32(1), // mov eax, 1 (write)
    0xbf, ...le32(2), // mov edi, 2
    0xbe, ...le32(l.msg), // mov esi, marker
    0xba, ...le32(l.len), // mov edx, len
    0x0f, 0x05, // syscall
    0x89, 0xdf, // mov edi, ebx
    0xb8, ...le32(60), // mov eax, 60 (exit)
    0x0f, 0x05, // syscall
  ]);
}

function aarch64Exec(l: Layout): number[] {
  const adrAt = l.code + 13 * 4;
  const d = l.msg - adrAt;
  return [
    0xf9400be0, // ldr x0, [sp, #16]    argv[1]
    0x910043e1, // add x1, sp, #16       &argv[1]
    0xf94003e2, // ldr x2, [sp]          argc
    0x8b020c22, // add x2, x1, x2, lsl #3  envp
    0xd2801ba8, // mov x8, #221 (execve)
    0xd4000001, // svc #0
    0xcb0003f3, // neg x19, x0           errno
    0xd2800040, // mov x0, #2
    0xd2800002 | (l.len << 5), // mov x2, #len
    0xd2800808, // mov x8, #64 (write)
    0xd503201f, // nop
    0xd503201f, // nop
    0xd503201f, // nop
    0x10000000 | ((d & 3) << 29) | (((d >> 2) & 0x7ffff) << 5) | 1, // adr x1, marker
    0xd4000001, // svc #0
    0xaa1303e0, // mov x0, x19
    0xd2800ba8, // mov x8, #93 (exit)
    0xd4000001, // svc #0
  ];
}

const EXEC_HELPERS: Record<string, ProbeSpec> = {
  x86_64: { elfClass: 64, order: 'little', machine: 62, flags: 0, base: 0x400000, code: x86_64Exec },
  aarch64: { elfClass: 64, order: 'little', machine: 183, flags: 0, base: 0x400000, code: aarch64Exec },
};

/**
 * A tiny static program for the host CPU that calls execve(argv[1],
 * argv+1, envp) and, when that fails, writes EXEC_HELPER_MARKER to stderr
 * and exits with the errno. Node's spawn goes through execvp, which on
 * ENOEXEC ("exec format error") runs the file with /bin/sh instead of
 * failing; the self-test must see the kernel's own answer. Null when the
 * host CPU has no helper (x86_64 and aarch64 do).
 */
export function buildExecHelper(hostTarget: string): Uint8Array | null {
  const spec = EXEC_HELPERS[hostTarget];
  return spec ? buildElf(spec, new TextEncoder().encode(EXEC_HELPER_MARKER)) : null;
}

export function buildElf(spec: ProbeSpec, message: Uint8Array): Uint8Array {
  const is64 = spec.elfClass === 64;
  const ehsize = is64 ? 64 : 52;
  const phsize = is64 ? 56 : 32;
  const descSize = spec.descriptor ? 24 : 0;
  const descOff = ehsize + phsize;
  const codeOff = descOff + descSize;
  // Code size does not depend on the addresses, so measure it with a dummy layout.
  const dummy = spec.code({ base: 0, code: 0, msg: 0, len: message.length });
  const codeSize = dummy instanceof Uint8Array ? dummy.length : dummy.length * 4;
  const msgOff = (codeOff + codeSize + 7) & ~7;
  const base = spec.base;
  const layout: Layout = { base, code: base + codeOff, msg: base + msgOff, len: message.length };
  const words = spec.code(layout);
  const size = msgOff + message.length;

  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  const le = spec.order === 'little';
  const u16 = (o: number, v: number) => dv.setUint16(o, v, le);
  const u32 = (o: number, v: number) => dv.setUint32(o, v >>> 0, le);
  const u64 = (o: number, v: number) => dv.setBigUint64(o, BigInt(v), le);
  const addr = is64 ? u64 : u32;

  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0]); // ident: class, data, version, SYSV
  u16(16, 2); // ET_EXEC
  u16(18, spec.machine);
  u32(20, 1); // e_version
  const entry = spec.descriptor ? base + descOff : layout.code;
  addr(24, entry);
  if (is64) {
    u64(32, ehsize); // e_phoff
    u64(40, 0); // e_shoff
    u32(48, spec.flags);
    u16(52, ehsize);
    u16(54, phsize);
    u16(56, 1); // e_phnum
  } else {
    u32(28, ehsize);
    u32(32, 0);
    u32(36, spec.flags);
    u16(40, ehsize);
    u16(42, phsize);
    u16(44, 1);
  }
  const ph = ehsize;
  if (is64) {
    u32(ph, 1); // PT_LOAD
    u32(ph + 4, 5); // R+X
    u64(ph + 8, 0); // p_offset
    u64(ph + 16, base); // p_vaddr
    u64(ph + 24, base); // p_paddr
    u64(ph + 32, size); // p_filesz
    u64(ph + 40, size); // p_memsz
    u64(ph + 48, 0x10000); // p_align
  } else {
    u32(ph, 1);
    u32(ph + 4, 0); // p_offset
    u32(ph + 8, base);
    u32(ph + 12, base);
    u32(ph + 16, size);
    u32(ph + 20, size);
    u32(ph + 24, 5);
    u32(ph + 28, 0x10000);
  }
  if (spec.descriptor) {
    u64(descOff, layout.code); // function address
    u64(descOff + 8, 0); // TOC
    u64(descOff + 16, 0); // environment
  }
  if (words instanceof Uint8Array) buf.set(words, codeOff);
  else words.forEach((w, i) => dv.setUint32(codeOff + i * 4, w >>> 0, (spec.codeOrder ?? spec.order) === 'little'));
  buf.set(message, msgOff);
  return buf;
}
