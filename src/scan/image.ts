// Container images and archives for `xarch scan`: plain tars (optionally
// compressed), `docker save` / `podman save` archives and OCI image layouts
// (directory or tar). Everything is read as streams; layers are applied in
// order with whiteouts (.wh.<name>) and opaque directories (.wh..wh..opq).
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { resolveTarget, type Target } from '../core/arch.js';
import { fromSystemError, XarchError } from '../core/errors.js';
import { fsPath, readRange as readFileRange } from '../host/file.js';
import { digestPath, resolveDockerImages, resolveOciImages, type ImageRef } from '../core/image.js';
import { elfLaterRange, elfOfHead, reportFromVirtual, type ScanReport, type VirtualEntry } from './scan.js';
import { scanTreeParallel, type ParallelTreeOptions } from './parallel.js';
import type { Progress } from '../core/progress.js';
import { looksLikeElf } from '../core/elf.js';
import { makeSessionTemp } from '../session/temp.js';
import { DEFAULT_PREFIX, TarParser, detectCompression, feedDecompressed, openDecompressed, type Compression, type TarMember } from '../host/tar.js';

export interface ScanOptions {
  expect?: Target;
  /** The host's `uname -m` (default os.machine()): its own targets need no emulator. */
  machine?: string;
  /** Walkers for a tree scan (default one per idle core; 1: in this thread, scan/parallel.ts). */
  jobs?: number;
  /** Phase 'scan': files done in a tree, bytes of the archive read (of its size) in an archive. */
  progress?: (p: Progress) => void;
}

type Source = { file: string; start: number; end: number };

/** Archive bytes (as read, uncompressed) between two progress reports. */
const PROGRESS_BYTES = 4 << 20;

function readRange(src: Source, max = 1 << 24): Uint8Array {
  return readFileRange(src.file, src.start, Math.min(src.end - src.start, max));
}

/** Stream one layer (a tar, maybe compressed) into a per-layer map. */
async function readLayer(src: Source): Promise<{ entries: Map<string, VirtualEntry>; whiteouts: string[]; opaque: string[]; unsafe: number }> {
  const compression: Compression = detectCompression(readRange(src, 8));
  const entries = new Map<string, VirtualEntry>();
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  let unsafe = 0;
  const parser = scanParser((m) => {
    if (m.unsafeName !== undefined) unsafe++;
    const base = path.posix.basename(m.path);
    const dir = path.posix.dirname(m.path);
    if (base === '.wh..wh..opq') { opaque.push(dir === '.' ? '' : dir); return; }
    if (base.startsWith('.wh.')) { whiteouts.push((dir === '.' ? '' : dir + '/') + base.slice(4)); return; }
    entries.set(m.path, entryOf(m));
  });
  try {
    await feedDecompressed(src.file, compression, parser, { start: src.start, end: src.end }).done;
  } catch (e) {
    if (e instanceof XarchError) throw e;
    throw new XarchError('ARCHIVE_INVALID', `cannot read the archive: ${(e as Error).message}`, { hint: 'the archive is damaged or its compression is not what its first bytes say' });
  }
  return { entries, whiteouts, opaque, unsafe };
}

/** Scan's tar parser: only an ELF file's head is kept whole (for its program headers and loader). */
function scanParser(onMember: (m: TarMember) => void): TarParser {
  return new TarParser(onMember, DEFAULT_PREFIX, elfLaterRange, undefined, looksLikeElf);
}

function entryOf(m: TarMember): VirtualEntry {
  const e: VirtualEntry = { type: m.type, linkname: m.linkname };
  if (m.type === 'file') {
    const r = elfOfHead(m.head, m.extra);
    if (r.info) e.info = r.info;
    if (r.invalid) e.invalidElf = true;
  }
  return e;
}

function removeTree(fsmap: Map<string, VirtualEntry>, p: string): void {
  fsmap.delete(p);
  const prefix = p === '' ? '' : p + '/';
  for (const k of fsmap.keys()) if (k.startsWith(prefix)) fsmap.delete(k);
}

interface ScanImage {
  name: string;
  platform?: string;
  layers: Source[];
}

/** The parsed images (core/image.ts) with their layers located. */
function located(refs: ImageRef[], blob: (key: string) => Source): ScanImage[] {
  return refs.map((r) => {
    const img: ScanImage = { name: r.name, layers: r.layers.map(blob) };
    if (r.platform) img.platform = r.platform;
    return img;
  });
}

async function scanImages(refs: ScanImage[], base: { path: string; kind: ScanReport['kind'] }, opts: ScanOptions): Promise<ScanReport[]> {
  const cache = new Map<string, Awaited<ReturnType<typeof readLayer>>>();
  const out: ScanReport[] = [];
  for (const ref of refs) {
    const start = process.hrtime.bigint();
    const fsmap = new Map<string, VirtualEntry>();
    let unsafe = 0;
    for (const src of ref.layers) {
      const key = `${src.file}:${src.start}`;
      let layer = cache.get(key);
      if (!layer) cache.set(key, (layer = await readLayer(src)));
      unsafe += layer.unsafe;
      for (const d of layer.opaque) removeTree(fsmap, d);
      for (const w of layer.whiteouts) removeTree(fsmap, w);
      for (const [k, v] of layer.entries) fsmap.set(k, v);
    }
    let expect = opts.expect;
    if (!expect && ref.platform) {
      try {
        expect = resolveTarget(ref.platform).target;
      } catch { /* an unknown platform: no expectation */ }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const b: Parameters<typeof reportFromVirtual>[1] = { ...base, image: ref.name };
    if (ref.platform) b.platform = ref.platform;
    out.push(reportFromVirtual(fsmap, b, expect, { unsafePaths: unsafe }, seconds, opts.machine ?? os.machine()));
  }
  return out;
}

/** The names that mean standard input (`docker save IMG | xarch scan -`). */
export const STDIN_NAMES = ['-', '/dev/stdin'];

/**
 * Copy a stream to a temporary file and scan that as `shown`: an image's
 * layers are read by offset, which a pipe or a compressed stream cannot give.
 * The directory carries xarch's PID (session/temp.ts), so one a SIGKILL
 * left behind is swept by a later session.
 */
async function scanSpooled(open: () => { stream: Readable; done: Promise<void> }, shown: string, opts: ScanOptions): Promise<ScanReport[]> {
  const dir = makeSessionTemp();
  try {
    const file = path.join(dir, 'archive.tar');
    try {
      const { stream, done } = open();
      await Promise.all([pipeline(stream, createWriteStream(file, { flags: 'wx', mode: 0o600 })), done]);
    } catch (e) {
      if (e instanceof XarchError) throw e;
      throw new XarchError('ARCHIVE_INVALID', `${shown}: cannot read the archive: ${(e as Error).message}`, { path: shown, hint: 'give a tar (plain, gzip, zstd, xz or bzip2) or a directory' });
    }
    const reports = await scanPath(file, opts);
    return reports.map((r) => ({ ...r, path: shown }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Scan PATH: a directory tree, an OCI layout directory, a tar (plain or compressed), an image archive, or `-` for standard input. */
export async function scanPath(p: string, opts: ScanOptions = {}): Promise<ScanReport[]> {
  if (STDIN_NAMES.includes(p)) {
    let st;
    try { st = statSync('/dev/stdin'); } catch (e) { throw fromSystemError(e, 'standard input', 'archive'); }
    if (st.isCharacterDevice()) throw new XarchError('PATH_NOT_FILE', 'standard input is a terminal or a device, not an archive', { path: p, hint: 'pipe an archive in: docker save IMG | xarch scan -' });
    // A redirected file is read in place; a pipe is copied first.
    if (st.isFile()) return (await scanPath('/proc/self/fd/0', opts)).map((r) => ({ ...r, path: p }));
    // open(2) of /dev/stdin fails with ENXIO on a socket: read descriptor 0 itself.
    if (st.isFIFO() || st.isSocket()) return scanSpooled(() => ({ stream: createReadStream('', { fd: 0 }), done: Promise.resolve() }), p, opts);
  }
  let st;
  try {
    st = statSync(fsPath(p));
  } catch {
    throw new XarchError('PATH_NOT_FOUND', `${p} does not exist`, { path: p, hint: 'give a directory, a tar file or an image archive' });
  }
  if (st.isDirectory()) {
    if (existsSync(path.join(p, 'oci-layout')) && existsSync(path.join(p, 'index.json'))) {
      const blob = (d: string): Source => {
        const f = path.join(p, digestPath(d));
        let size;
        try { size = statSync(f).size; } catch { throw new XarchError('ARCHIVE_INVALID', `blob ${d} is missing from ${p}`, { path: f }); }
        return { file: f, start: 0, end: size };
      };
      const refs = resolveOciImages(readFileSync(path.join(p, 'index.json')), (d) => readRange(blob(d)), { path: p }, path.basename(p));
      return scanImages(located(refs, blob), { path: p, kind: 'oci-layout' }, opts);
    }
    const tree: ParallelTreeOptions = { machine: opts.machine ?? os.machine() };
    if (opts.expect) tree.expect = opts.expect;
    if (opts.progress) tree.progress = opts.progress;
    if (opts.jobs !== undefined) tree.jobs = opts.jobs;
    return [await scanTreeParallel(path.resolve(p), tree)];
  }
  if (!st.isFile()) throw new XarchError('PATH_NOT_FILE', `${p} is not a directory or a file`, { path: p });
  const head = readRange({ file: p, start: 0, end: 512 });
  const compression = detectCompression(head);
  const start = process.hrtime.bigint();
  // One pass: the archive as a plain tar, noting where each member's data
  // sits (for an uncompressed archive) in case it turns out to be an image.
  const fsmap = new Map<string, VirtualEntry>();
  const offsets = new Map<string, Source>();
  let unsafe = 0;
  let files = 0;
  let reported = 0;
  const onMember = (m: TarMember) => {
    if (m.unsafeName !== undefined) unsafe++;
    if (compression === 'none' && m.type === 'file') offsets.set(m.path, { file: p, start: parser.offset - m.size, end: parser.offset });
    fsmap.set(m.path, entryOf(m));
    if (opts.progress && parser.offset - reported >= PROGRESS_BYTES) {
      reported = parser.offset;
      opts.progress({ phase: 'scan', done: consumed(), total: st.size, unit: 'bytes' });
    }
  };
  const parser = scanParser(onMember);
  const { done, consumed } = feedDecompressed(p, compression, parser);
  try {
    await done;
  } catch (e) {
    if (e instanceof XarchError) throw Object.assign(e, { message: `${p}: ${e.message}` });
    throw new XarchError('ARCHIVE_INVALID', `${p}: cannot read the archive: ${(e as Error).message}`, { path: p, hint: 'give a tar (plain, gzip, zstd, xz or bzip2) or a directory' });
  }
  // fsmap, not offsets: offsets are only noted for an uncompressed archive.
  const isDocker = fsmap.get('manifest.json')?.type === 'file';
  const isOci = fsmap.get('index.json')?.type === 'file' && fsmap.has('oci-layout');
  if ((isDocker || isOci) && compression === 'none') {
    const blob = (name: string): Source => {
      const src = offsets.get(name);
      if (!src) throw new XarchError('ARCHIVE_INVALID', `${name} is missing from ${p}`, { path: p });
      return src;
    };
    if (isOci) {
      const ociBlob = (d: string) => blob(digestPath(d));
      const refs = resolveOciImages(readRange(blob('index.json')), (d) => readRange(ociBlob(d)), { path: p }, path.basename(p));
      return scanImages(located(refs, ociBlob), { path: p, kind: 'oci-layout' }, opts);
    }
    const refs = resolveDockerImages(readRange(blob('manifest.json')), (name) => readRange(blob(name)), { path: p });
    return scanImages(located(refs, blob), { path: p, kind: 'docker-archive' }, opts);
  }
  if (isDocker || isOci) {
    return scanSpooled(() => openDecompressed(p, compression), p, opts);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return [reportFromVirtual(fsmap, { path: p, kind: 'tar' }, opts.expect, { unsafePaths: unsafe }, seconds, opts.machine ?? os.machine())];
}
