// Scanning: which architectures a directory tree, a tar or a container
// image contains, which loaders they need, which emulators would run them,
// and which files differ from the architecture expected.
//
// The tree walk itself is scan/walk.ts, on every core scan/parallel.ts.
import type { Progress } from '../core/progress.js';
import { Walker, type ElfFacts, type WalkPart } from './walk.js';
import { resolveInRoot, resolveWith, type InRootLookup } from '../host/rootfs.js';
import { getTarget, emulatorName, isHostTarget, TARGETS, type Target } from '../core/arch.js';
import { normaliseMemberPath } from '../host/tar.js';
import { bytesReadAt, looksLikeElf, parseElf, type ElfHeaders } from '../core/elf.js';

export interface TargetCount {
  count: number;
  class: 32 | 64;
  byteOrder: 'little' | 'big';
  abi: string[];
  /** ET_EXEC without a loader. */
  static: number;
  /** With a PT_INTERP loader. */
  dynamic: number;
  /** ET_DYN without a loader: shared objects and static PIEs. */
  shared: number;
  /** Relocatable objects, core files (not run by anything). */
  other: number;
}

export interface LoaderUse {
  path: string;
  present: boolean;
  count: number;
  targets: string[];
}

export interface ScanReport {
  path: string;
  kind: 'tree' | 'tar' | 'docker-archive' | 'oci-layout';
  image?: string;
  platform?: string;
  expect?: string;
  files: number;
  elfFiles: number;
  targets: Record<string, TargetCount>;
  loaders: LoaderUse[];
  emulators: string[];
  mismatches: { file: string; target: string }[];
  errors: { unreadable: number; invalidElf: number; special: number; unsafePaths: number };
  seconds: number;
}

/** Accumulates the ELF facts of each file into a report (pure). */
export class ScanAccumulator {
  files = 0;
  elfFiles = 0;
  targets = new Map<string, TargetCount>();
  loaders = new Map<string, { count: number; targets: Set<string> }>();
  mismatches: { file: string; target: string }[] = [];
  errors = { unreadable: 0, invalidElf: 0, special: 0, unsafePaths: 0 };

  /** `machine`: the host's `uname -m`; its own family needs no emulator. */
  constructor(private expect?: Target, private machine?: string) {}

  addElf(file: string, info: ElfFacts): void {
    this.elfFiles++;
    const name = archName(info);
    let t = this.targets.get(name);
    if (!t) {
      t = { count: 0, class: info.elfClass, byteOrder: info.byteOrder, abi: [], static: 0, dynamic: 0, shared: 0, other: 0 };
      this.targets.set(name, t);
    }
    t.count++;
    for (const a of info.abi) if (!t.abi.includes(a) && t.abi.length < 8) t.abi.push(a);
    if (info.type !== 'EXEC' && info.type !== 'DYN') t.other++;
    else if (info.linkage === 'dynamic') t.dynamic++;
    else if (info.linkage === 'static-pie') t.shared++;
    else t.static++;
    if (info.interpreter) {
      let l = this.loaders.get(info.interpreter);
      if (!l) this.loaders.set(info.interpreter, (l = { count: 0, targets: new Set() }));
      l.count++;
      l.targets.add(name);
    }
    if (this.expect && name !== this.expect.name && !info.targets.includes(this.expect.name)) this.mismatches.push({ file, target: name });
  }

  report(base: Pick<ScanReport, 'path' | 'kind'> & Partial<ScanReport>, present: (loader: string) => boolean, seconds: number): ScanReport {
    const targets: Record<string, TargetCount> = {};
    for (const [k, v] of [...this.targets].sort((a, b) => b[1].count - a[1].count)) targets[k] = v;
    const emulators = Object.keys(targets).map((k) => getTarget(k)).filter((t): t is Target => !!t && !(this.machine && isHostTarget(t, this.machine))).map(emulatorName);
    const r: ScanReport = {
      ...base,
      files: this.files,
      elfFiles: this.elfFiles,
      targets,
      loaders: [...this.loaders].map(([p, l]) => ({ path: p, present: present(p), count: l.count, targets: [...l.targets] })),
      emulators: [...new Set(emulators)],
      mismatches: this.mismatches,
      errors: this.errors,
      seconds,
    };
    if (this.expect) r.expect = this.expect.name;
    return r;
  }
}

/**
 * The architecture of a file: the catalogue target its header matches, or
 * for files no handler would run (objects, odd OSABI) the target with the
 * same machine, class and byte order.
 */
export function archName(info: Pick<ElfFacts, 'targets' | 'machine' | 'elfClass' | 'byteOrder' | 'machineName'>): string {
  if (info.targets[0]) return info.targets[0];
  const t = TARGETS.find((x) => x.machine === info.machine && x.elfClass === info.elfClass && x.byteOrder === info.byteOrder);
  return t ? t.name : `unknown-${info.machineName.replace(/\s+/g, '-')}`;
}

export interface TreeOptions {
  expect?: Target;
  /** The host's `uname -m`: its own targets are not listed as needing an emulator. */
  machine?: string;
  /** Called about every 2000 files: phase 'scan', files done so far. */
  progress?: (p: Progress) => void;
}

/** Entries walked between two progress reports (and per worker message, scan/parallel.ts). */
export const WALK_CHUNK = 2048;

/** Scan a directory tree without following symlinks, in this thread. */
export function scanTree(root: string, opts: TreeOptions = {}): ScanReport {
  const start = process.hrtime.bigint();
  const walker = new Walker(root);
  const parts: WalkPart[] = [];
  let files = 0;
  for (let dirs = [root]; dirs.length;) {
    const r = walker.walk(dirs, { left: opts.progress ? WALK_CHUNK : Infinity });
    parts.push(r.part);
    dirs = r.rest;
    files += r.part.files;
    opts.progress?.({ phase: 'scan', done: files, unit: 'files' });
  }
  return treeReport(root, parts, opts, start);
}

/** The report of a tree from its walk's parts, in walk order. */
export function treeReport(root: string, parts: Iterable<WalkPart>, opts: TreeOptions, start: bigint): ScanReport {
  const acc = new ScanAccumulator(opts.expect, opts.machine);
  for (const part of parts) {
    acc.files += part.files;
    acc.errors.unreadable += part.unreadable;
    acc.errors.invalidElf += part.invalidElf;
    acc.errors.special += part.special;
    for (const [file, info] of part.elves) acc.addElf(file, info);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return acc.report({ path: root, kind: 'tree' }, (l) => treeHas(root, l), seconds);
}

/** Does `p` (absolute, as seen inside the tree) exist in `root`, following in-tree symlinks (bounded)? */
export function treeHas(root: string, p: string): boolean {
  return resolveInRoot(root, p) !== null;
}

/** In-memory file system of an archive or image: path → entry, for loader presence and whiteouts. */
export interface VirtualEntry {
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  linkname: string;
  info?: ElfHeaders;
  invalidElf?: boolean;
}

/**
 * The in-root lookup of an archive's file system. Archives often list a file
 * without its parent directories; those directories exist all the same.
 */
export function virtualLookup(fsmap: Map<string, VirtualEntry>): InRootLookup {
  let implicit: Set<string> | undefined;
  return (p) => {
    const key = p.slice(1);
    const e = fsmap.get(key);
    if (e) return e.type === 'dir' ? { type: 'dir' } : e.type === 'symlink' ? { type: 'symlink', target: e.linkname } : { type: 'file' };
    if (key === '') return { type: 'dir' };
    if (!implicit) {
      implicit = new Set();
      // Up from each name until a directory already known: its own are known too.
      for (const k of fsmap.keys()) {
        for (let i = k.lastIndexOf('/'); i > 0; i = k.lastIndexOf('/', i - 1)) {
          const dir = k.slice(0, i);
          if (implicit.has(dir)) break;
          implicit.add(dir);
        }
      }
    }
    return implicit.has(key) ? { type: 'dir' } : null;
  };
}

/** Does `p` (absolute, as seen inside the archive) exist in it, following in-archive symlinks? */
export function virtualHas(fsmap: Map<string, VirtualEntry>, p: string): boolean {
  return resolveWith(virtualLookup(fsmap), p) !== null;
}

/** The ELF headers of a tar member's head (plus a later range it kept), or nothing when it is not ELF. */
export function elfOfHead(head: Uint8Array, extra?: { offset: number; bytes: Uint8Array }): { info?: ElfHeaders; invalid?: boolean } {
  if (!looksLikeElf(head)) return {};
  const inHead = bytesReadAt(head);
  const read = extra ? bytesReadAt(extra.bytes, inHead, extra.offset) : inHead;
  try {
    return { info: parseElf(read, { pie: false }) };
  } catch {
    return { invalid: true };
  }
}

/**
 * For a streamed ELF member whose loader path lies past the head: the range
 * to keep. Found by parsing the head and noting the first read past it.
 */
export function elfLaterRange(head: Uint8Array): { offset: number; length: number } | null {
  if (!looksLikeElf(head)) return null;
  let want: { offset: number; length: number } | null = null;
  const inHead = bytesReadAt(head);
  try {
    parseElf((offset, length) => {
      if (offset + length > head.length && !want) want = { offset, length: Math.min(length, 4096) };
      return inHead(offset, length);
    }, { pie: false });
  } catch { /* the head alone is not enough: that is the point */ }
  return want;
}

/** Build a report from a final virtual file system (a tar, or an image's merged layers). */
export function reportFromVirtual(fsmap: Map<string, VirtualEntry>, base: Pick<ScanReport, 'path' | 'kind'> & Partial<ScanReport>, expect: Target | undefined, extra: Partial<ScanAccumulator['errors']>, seconds: number, machine?: string): ScanReport {
  const acc = new ScanAccumulator(expect, machine);
  for (const [p, entry] of fsmap) {
    if (entry.type === 'other') acc.errors.special++;
    // Files are counted by name, as the tree walk counts them: a hard link
    // is one more name of the file it links to (tar and docker save store
    // it as a link member, a tree shows each name as a regular file).
    const e = entry.type === 'hardlink' ? fsmap.get(normaliseMemberPath(entry.linkname).path) : entry;
    if (e?.type !== 'file') continue;
    acc.files++;
    if (e.info) acc.addElf(p, e.info);
    else if (e.invalidElf) acc.errors.invalidElf++;
  }
  acc.errors.unsafePaths += extra.unsafePaths ?? 0;
  const lookup = virtualLookup(fsmap);
  return acc.report(base, (l) => resolveWith(lookup, l) !== null, seconds);
}
