// ELF header reader (pure). Reads the identification, the file header and
// the program headers through a ReadAt callback, never the whole file, and
// turns every inconsistency into an XarchError carrying the byte offset.
import { targetsForHeader } from './arch.js';
import { XarchError } from './errors.js';

/** Read `length` bytes at `offset`; fewer (or none) past end-of-file. */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export type ElfType = 'NONE' | 'REL' | 'EXEC' | 'DYN' | 'CORE' | 'UNKNOWN';

export interface ElfInfo {
  elfClass: 32 | 64;
  byteOrder: 'little' | 'big';
  osabi: number;
  osabiName: string;
  abiVersion: number;
  type: ElfType;
  eType: number;
  /**
   * A position-independent executable (dynamic or static PIE), not a shared
   * library. ET_DYN only, decided by the dynamic section: DF_1_PIE in
   * DT_FLAGS_1 (set by GNU ld and lld for every -pie link, static PIEs
   * included), else a PT_INTERP and no DT_SONAME (PIEs of toolchains that
   * predate DF_1_PIE; libc.so.6 carries a PT_INTERP and a DT_SONAME and is a
   * library). An unreadable dynamic section counts as absent: the kernel
   * never reads it, so it is no reason to refuse the file.
   */
  pie: boolean;
  machine: number;
  machineName: string;
  flags: number;
  /** e_flags decoded where they decide the ABI (ARM EABI/float, MIPS o32/n32/n64, RISC-V float ABI, PPC64 ELFv1/v2). */
  abi: string[];
  entry: bigint;
  /** PT_INTERP: the loader the kernel starts for a dynamic program. */
  interpreter: string | null;
  /**
   * How exec starts it. dynamic: has PT_INTERP (the kernel maps the loader);
   * static: ET_EXEC without PT_INTERP; static-pie: ET_DYN without PT_INTERP
   * (loaded at a random base and started directly: a static PIE, or a shared
   * object with no loader of its own; `pie` tells them apart).
   */
  linkage: 'static' | 'static-pie' | 'dynamic';
  /** Catalogue targets whose magic/mask match the first bytes. */
  targets: string[];
  /** The first (up to) 256 bytes, what binfmt_misc compares. */
  header: Uint8Array;
}

const OSABI: Record<number, string> = {
  0: 'SYSV', 1: 'HPUX', 2: 'NetBSD', 3: 'GNU', 6: 'Solaris', 7: 'AIX', 8: 'IRIX', 9: 'FreeBSD', 10: 'Tru64',
  11: 'Modesto', 12: 'OpenBSD', 64: 'ARM_AEABI', 97: 'ARM', 255: 'Standalone',
};

const MACHINES: Record<number, string> = {
  2: 'SPARC', 3: 'Intel 80386', 4: 'Motorola 68000', 6: 'Intel 80486', 8: 'MIPS', 10: 'MIPS R3000 LE', 15: 'HPPA',
  18: 'SPARC32PLUS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'IBM S/390', 40: 'ARM', 41: 'Alpha (old)', 42: 'SuperH',
  43: 'SPARC v9', 50: 'IA-64', 62: 'x86-64', 75: 'VAX', 92: 'OpenRISC', 94: 'Xtensa', 113: 'Altera Nios II',
  164: 'Qualcomm Hexagon', 183: 'AArch64', 189: 'Xilinx MicroBlaze', 243: 'RISC-V', 258: 'LoongArch',
  0x9026: 'Alpha', 0xbaab: 'Xilinx MicroBlaze (old)',
};

const TYPES: ElfType[] = ['NONE', 'REL', 'EXEC', 'DYN', 'CORE'];

const PT_DYNAMIC = 2;
const PT_INTERP = 3;
/** Dynamic entries read for the PIE test; DT_FLAGS_1 sits among the first few dozen. */
const MAX_DYNAMIC = 8192;
const DT_SONAME = 14;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_PIE = 0x08000000;
const LATIN1 = new TextDecoder('latin1');
/** Longest loader path accepted (the kernel allows PATH_MAX). */
const MAX_INTERP = 4096;
/** More program headers than any real program has; the kernel refuses > 64 KiB of them. */
const MAX_PHDR_BYTES = 65536;

export function looksLikeElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

export function machineName(machine: number): string {
  return MACHINES[machine] ?? `unknown (${machine})`;
}

/** ABI facts carried in e_flags. */
export function decodeAbi(machine: number, elfClass: 32 | 64, byteOrder: 'little' | 'big', flags: number): string[] {
  const out: string[] = [];
  switch (machine) {
    case 40: { // ARM
      const eabi = flags >>> 24;
      out.push(eabi ? `EABI${eabi}` : 'OABI/GNU');
      if (flags & 0x400) out.push('hard-float');
      else if (flags & 0x200) out.push('soft-float');
      else if (eabi) out.push('float ABI unspecified');
      if (flags & 0x800000) out.push('BE8');
      break;
    }
    case 8: case 10: { // MIPS
      // EF_MIPS_ABI2 marks n32; 64-bit files are n64; otherwise EF_MIPS_ABI
      // (0xf000) names o32 (or nothing, also o32), o64, EABI32 or EABI64.
      if (elfClass === 64) out.push('n64');
      else if (flags & 0x20) out.push('n32');
      else out.push(({ 0x2000: 'o64', 0x3000: 'eabi32', 0x4000: 'eabi64' } as Record<number, string>)[flags & 0xf000] ?? 'o32');
      out.push(byteOrder === 'little' ? 'little-endian' : 'big-endian');
      const arch = (flags >>> 28) & 0xf;
      const ARCH = ['mips1', 'mips2', 'mips3', 'mips4', 'mips5', 'mips32', 'mips64', 'mips32r2', 'mips64r2', 'mips32r6', 'mips64r6'];
      if (ARCH[arch]) out.push(ARCH[arch]!);
      if (flags & 0x400) out.push('nan2008');
      break;
    }
    case 243: { // RISC-V
      const f = (flags >>> 1) & 3;
      out.push(['soft-float', 'single-float', 'double-float', 'quad-float'][f]!);
      if (flags & 1) out.push('RVC');
      if (flags & 8) out.push('RVE');
      break;
    }
    case 21: { // PowerPC64
      const v = flags & 3;
      out.push(v === 2 ? 'ELFv2' : v === 1 ? 'ELFv1' : byteOrder === 'little' ? 'ELFv2 (unmarked)' : 'ELFv1 (unmarked)');
      break;
    }
    case 258: { // LoongArch: EF_LOONGARCH_ABI_MODIFIER_MASK and EF_LOONGARCH_OBJABI_MASK
      const f = flags & 7;
      if (f >= 1 && f <= 3) out.push(['soft-float', 'single-float', 'double-float'][f - 1]!);
      out.push(`object ABI v${(flags >>> 6) & 3}`);
      break;
    }
    default:
  }
  return out;
}

function fail(code: 'ELF_NOT_ELF' | 'ELF_TRUNCATED' | 'ELF_INVALID', message: string, offset: number): never {
  throw new XarchError(code, message, { offset, hint: code === 'ELF_NOT_ELF' ? 'give an ELF executable or library' : 'the file is damaged or not a complete ELF file' });
}

/** What parseElf tells without the dynamic section: all but `pie`. */
export type ElfHeaders = Omit<ElfInfo, 'pie'>;

/**
 * Parse an ELF file's headers. Throws ELF_NOT_ELF, ELF_TRUNCATED or
 * ELF_INVALID with the offset. With `{ pie: false }` the dynamic section,
 * which only `pie` needs, is not read: scan, which does not report it,
 * spares a read of its own for nearly every shared object and PIE (it lies
 * past the first KiB), and in an archive the copy of it past a member's head.
 */
export function parseElf(read: ReadAt, opts: { pie: false }): ElfHeaders;
export function parseElf(read: ReadAt): ElfInfo;
export function parseElf(read: ReadAt, opts?: { pie: false }): ElfInfo | ElfHeaders {
  const head = read(0, 256);
  if (!looksLikeElf(head)) fail('ELF_NOT_ELF', head.length < 4 ? 'not an ELF file (shorter than the 4-byte magic)' : 'not an ELF file (no \\x7fELF magic)', 0);
  if (head.length < 16) fail('ELF_TRUNCATED', `truncated ELF identification (${head.length} of 16 bytes)`, head.length);
  const cls = head[4];
  if (cls !== 1 && cls !== 2) fail('ELF_INVALID', `invalid ELF class ${cls} (1 is 32-bit, 2 is 64-bit)`, 4);
  const data = head[5];
  if (data !== 1 && data !== 2) fail('ELF_INVALID', `invalid ELF byte order ${data} (1 is little-endian, 2 is big-endian)`, 5);
  const elfClass: 32 | 64 = cls === 1 ? 32 : 64;
  const le = data === 1;
  const ehsize = elfClass === 64 ? 64 : 52;
  if (head.length < ehsize) fail('ELF_TRUNCATED', `truncated ELF header (${head.length} of ${ehsize} bytes)`, head.length);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u16 = (o: number) => dv.getUint16(o, le);
  const u32 = (o: number) => dv.getUint32(o, le);
  const word = (o: number) => (elfClass === 64 ? dv.getBigUint64(o, le) : BigInt(dv.getUint32(o, le)));

  const eType = u16(16);
  const machine = u16(18);
  const entry = word(24);
  const phoffBig = word(elfClass === 64 ? 32 : 28);
  const flags = u32(elfClass === 64 ? 48 : 36);
  const phentsize = u16(elfClass === 64 ? 54 : 42);
  const phnum = u16(elfClass === 64 ? 56 : 44);
  const phOffField = elfClass === 64 ? 32 : 28;

  let interpreter: string | null = null;
  let dynamic: { offset: number; size: number } | null = null;
  if (phnum > 0 && (eType === 2 || eType === 3)) {
    const minEnt = elfClass === 64 ? 56 : 32;
    if (phentsize < minEnt) fail('ELF_INVALID', `program header entry size ${phentsize} is smaller than ${minEnt}`, elfClass === 64 ? 54 : 42);
    const total = phentsize * phnum;
    if (total > MAX_PHDR_BYTES) fail('ELF_INVALID', `${phnum} program headers of ${phentsize} bytes exceed ${MAX_PHDR_BYTES} bytes`, elfClass === 64 ? 56 : 44);
    if (phoffBig > BigInt(Number.MAX_SAFE_INTEGER - total)) fail('ELF_INVALID', `program header offset ${phoffBig} is out of range`, phOffField);
    const phoff = Number(phoffBig);
    const ph = read(phoff, total);
    if (ph.length < total) fail('ELF_TRUNCATED', `program headers end past end-of-file (need ${total} bytes at ${phoff}, have ${ph.length})`, phoff + ph.length);
    const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      const pType = pv.getUint32(b, le);
      if (pType === PT_DYNAMIC && dynamic === null) {
        const off = elfClass === 64 ? pv.getBigUint64(b + 8, le) : BigInt(pv.getUint32(b + 4, le));
        const size = elfClass === 64 ? pv.getBigUint64(b + 32, le) : BigInt(pv.getUint32(b + 16, le));
        if (off <= BigInt(Number.MAX_SAFE_INTEGER)) dynamic = { offset: Number(off), size: size > BigInt(MAX_DYNAMIC) ? MAX_DYNAMIC : Number(size) };
        continue;
      }
      if (pType !== PT_INTERP || interpreter !== null) continue;
      const off = elfClass === 64 ? pv.getBigUint64(b + 8, le) : BigInt(pv.getUint32(b + 4, le));
      const size = elfClass === 64 ? pv.getBigUint64(b + 32, le) : BigInt(pv.getUint32(b + 16, le));
      const at = phoff + b;
      // Separate debug files keep the header with an empty (NOBITS) PT_INTERP: no loader to read.
      if (size === 0n) continue;
      // The kernel refuses p_filesz < 2 or > PATH_MAX with ENOEXEC (fs/binfmt_elf.c).
      if (size < 2n) fail('ELF_INVALID', `PT_INTERP size ${size} is too small for a path`, at);
      if (size > BigInt(MAX_INTERP)) fail('ELF_INVALID', `PT_INTERP size ${size} is larger than ${MAX_INTERP}`, at);
      if (off > BigInt(Number.MAX_SAFE_INTEGER)) fail('ELF_INVALID', `PT_INTERP offset ${off} is out of range`, at);
      const s = read(Number(off), Number(size));
      if (s.length < Number(size)) fail('ELF_TRUNCATED', `PT_INTERP string ends past end-of-file`, Number(off) + s.length);
      // As the kernel: the segment's last byte must be NUL; the path ends at the first NUL (padding may follow).
      if (s[s.length - 1] !== 0) fail('ELF_INVALID', 'PT_INTERP is not a NUL-terminated path', Number(off));
      const nul = s.indexOf(0);
      interpreter = LATIN1.decode(s.subarray(0, nul));
    }
  }
  const type = TYPES[eType] ?? 'UNKNOWN';
  const linkage = interpreter !== null ? 'dynamic' : eType === 3 ? 'static-pie' : 'static';
  const header = head.slice(0, 256);
  const headers: ElfHeaders = {
    elfClass,
    byteOrder: le ? 'little' : 'big',
    osabi: head[7]!,
    osabiName: OSABI[head[7]!] ?? `unknown (${head[7]})`,
    abiVersion: head[8]!,
    type,
    eType,
    machine,
    machineName: machineName(machine),
    flags,
    abi: decodeAbi(machine, elfClass, le ? 'little' : 'big', flags),
    entry,
    interpreter,
    linkage,
    targets: targetsForHeader(header).map((t) => t.name),
    header,
  };
  if (opts?.pie === false) return headers;
  return { ...headers, pie: eType === 3 && isPie(read, dynamic, elfClass, le, interpreter !== null) };
}

/** PIE or shared object, for an ET_DYN file (see ElfInfo.pie). */
function isPie(read: ReadAt, dynamic: { offset: number; size: number } | null, elfClass: 32 | 64, le: boolean, hasInterp: boolean): boolean {
  if (dynamic === null) return hasInterp;
  const d = read(dynamic.offset, dynamic.size);
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ent = elfClass === 64 ? 16 : 8;
  let soname = false;
  for (let o = 0; o + ent <= d.length; o += ent) {
    const tag = elfClass === 64 ? Number(dv.getBigInt64(o, le)) : dv.getInt32(o, le);
    if (tag === 0) break; // DT_NULL
    if (tag === DT_SONAME) soname = true;
    else if (tag === DT_FLAGS_1) {
      const v = elfClass === 64 ? Number(dv.getBigUint64(o + 8, le) & 0xffffffffn) : dv.getUint32(o + 4, le);
      if (v & DF_1_PIE) return true;
    }
  }
  return hasInterp && !soname;
}

/**
 * A ReadAt over bytes already in memory: `bytes` sit at file offset `at`.
 * A range they hold whole comes from memory; any other goes to `rest` (the
 * file itself, say), or without `rest` gets what of it `bytes` hold (the
 * short read of a file that ends there).
 */
export function bytesReadAt(bytes: Uint8Array, rest?: ReadAt, at = 0): ReadAt {
  return (offset, length) => {
    const start = offset - at;
    if (start >= 0 && start + length <= bytes.length) return bytes.subarray(start, start + length);
    if (rest) return rest(offset, length);
    if (start < 0) return bytes.subarray(0, 0);
    return bytes.subarray(Math.min(start, bytes.length), Math.min(start + length, bytes.length));
  };
}

export interface DynamicInfo {
  /** DT_NEEDED: the shared libraries the program asks for. */
  needed: string[];
  /** DT_RUNPATH, else DT_RPATH, split at ':'. */
  runpath: string[];
}

const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

/**
 * The dynamic section's library names (reads the program headers, the
 * PT_DYNAMIC segment and the strings it points at; nothing else).
 * Null for a file without PT_DYNAMIC.
 */
export function parseDynamic(read: ReadAt): DynamicInfo | null {
  const info = parseElf(read);
  const is64 = info.elfClass === 64;
  const le = info.byteOrder === 'little';
  const h = read(0, 64);
  const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const phoff = Number(is64 ? hv.getBigUint64(32, le) : BigInt(hv.getUint32(28, le)));
  const phentsize = hv.getUint16(is64 ? 54 : 42, le);
  const phnum = hv.getUint16(is64 ? 56 : 44, le);
  const ph = read(phoff, phentsize * phnum);
  const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dyn: { offset: number; size: number } | null = null;
  for (let i = 0; i < phnum && (i + 1) * phentsize <= ph.length; i++) {
    const b = i * phentsize;
    const type = pv.getUint32(b, le);
    const offset = Number(is64 ? pv.getBigUint64(b + 8, le) : BigInt(pv.getUint32(b + 4, le)));
    const vaddr = Number(is64 ? pv.getBigUint64(b + 16, le) : BigInt(pv.getUint32(b + 8, le)));
    const filesz = Number(is64 ? pv.getBigUint64(b + 32, le) : BigInt(pv.getUint32(b + 16, le)));
    if (type === 1) loads.push({ vaddr, offset, filesz });
    if (type === 2) dyn = { offset, size: Math.min(filesz, 1 << 20) };
  }
  if (!dyn) return null;
  const d = read(dyn.offset, dyn.size);
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ent = is64 ? 16 : 8;
  const needed: number[] = [];
  let strtab = -1;
  let rpath = -1;
  let runpath = -1;
  for (let o = 0; o + ent <= d.length; o += ent) {
    const tag = Number(is64 ? dv.getBigInt64(o, le) : BigInt(dv.getInt32(o, le)));
    const val = Number(is64 ? dv.getBigUint64(o + 8, le) : BigInt(dv.getUint32(o + 4, le)));
    if (tag === 0) break;
    if (tag === DT_NEEDED) needed.push(val);
    else if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_RPATH) rpath = val;
    else if (tag === DT_RUNPATH) runpath = val;
  }
  if (strtab < 0) return { needed: [], runpath: [] };
  const seg = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (!seg) throw new XarchError('ELF_INVALID', 'DT_STRTAB points outside every loaded segment', { offset: dyn.offset });
  const strOff = seg.offset + (strtab - seg.vaddr);
  const str = (at: number) => {
    const s = read(strOff + at, 4096);
    const nul = s.indexOf(0);
    if (nul < 0) throw new XarchError('ELF_INVALID', 'unterminated string in the dynamic string table', { offset: strOff + at });
    return LATIN1.decode(s.subarray(0, nul));
  };
  const rp = runpath >= 0 ? str(runpath) : rpath >= 0 ? str(rpath) : '';
  return { needed: needed.map(str), runpath: rp ? rp.split(':').filter(Boolean) : [] };
}
