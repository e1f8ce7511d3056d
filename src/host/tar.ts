// A streaming tar reader (ustar, pax and GNU long names). It never writes
// anything: members are handed to a callback with their normalised path and
// the first bytes of their data, so hostile names ("../", absolute paths),
// links pointing out and huge sizes cannot reach the disk. Unpacking
// (host/unpack.ts) is a TarBody sink fed by this same parser.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { fromSystemError, XarchError } from '../core/errors.js';
import { readRange } from './file.js';

export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** What a member's header (with its pax/GNU records) says, before its data. */
export interface TarHeader {
  /** Normalised, relative to the archive root, no leading '/', no '..'. */
  path: string;
  /** The name as stored, when normalising changed it (absolute or '..'). */
  unsafeName?: string;
  type: MemberType;
  size: number;
  linkname: string;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch (pax records may give a fraction). */
  mtime: number;
}

/** A sink for members' whole data, streamed: begin, the data in order, end. */
export interface TarBody {
  begin(h: TarHeader): void;
  data(chunk: Uint8Array): void;
  end(): void;
}

export interface TarMember extends TarHeader {
  /** The first bytes of the data (up to the reader's prefix size), for files. */
  head: Uint8Array;
  /** A later range of the data the `later` hook asked for (e.g. an ELF loader path). */
  extra?: { offset: number; bytes: Uint8Array };
}

/** Given a member's head, a later range of its data to keep too, or null. */
export type LaterRange = (head: Uint8Array) => { offset: number; length: number } | null;

/** Members whose first bytes are kept whole: enough for ELF and program headers and PT_INTERP. */
export const DEFAULT_PREFIX = 16384;
/** The first bytes of a member a `keep` predicate is shown. */
export const SNIFF = 64;
/** Pax/GNU long-name records larger than this are refused. */
const MAX_META = 1 << 20;

function octal(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    // GNU base-256: big-endian binary, first byte's top bit set.
    let v = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return v;
  }
  let s = '';
  for (let i = off; i < off + len; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) { if (s) break; else continue; }
    s += String.fromCharCode(c);
  }
  if (s && !/^[0-7]+$/.test(s)) throw new XarchError('ARCHIVE_INVALID', `invalid octal field '${s}' in a tar header`, { hint: 'the archive is damaged or not a tar file' });
  return s ? parseInt(s, 8) : 0;
}

function cstr(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.subarray(off, end)).toString('utf8');
}

function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function checksumOk(h: Uint8Array): boolean {
  const stored = octal(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}

/** A name normalising leaves alone but for a leading './' (what `tar -C DIR .` writes): no '//', '/./', '/..', trailing '/'. */
const PLAIN_NAME = /^(?:\.\/)?(?!\.{1,2}(?:\/|$))(?:[^/]+(?:\/(?!\.{1,2}(?:\/|$))[^/]+)*)$/;

export function normaliseMemberPath(name: string): { path: string; unsafe: boolean } {
  if (PLAIN_NAME.test(name)) return { path: name.startsWith('./') ? name.slice(2) : name, unsafe: false };
  const norm = path.posix.normalize('/' + name).replace(/^\/+/, '').replace(/\/+$/, '');
  const unsafe = name.startsWith('/') || name.split('/').includes('..');
  return { path: norm === '.' ? '' : norm, unsafe };
}

/**
 * Push parser: feed() chunks in order, end() at the end. `onMember` is called
 * once per member when its prefix is complete.
 */
export class TarParser {
  private buf: Uint8Array[] = [];
  private bufLen = 0;
  private state: 'header' | 'data' | 'meta' | 'done' = 'header';
  private remaining = 0;
  private pad = 0;
  private nextPad = 0;
  private current: (Omit<TarMember, 'head'> & { headParts: Uint8Array[]; headLen: number; prefix: number; sniffed: boolean; pos: number; want?: { offset: number; length: number } | null; extraParts?: Uint8Array[] }) | null = null;
  private metaKind = '';
  private metaParts: Uint8Array[] = [];
  private pendingName: string | null = null;
  private pendingLink: string | null = null;
  /** Numeric pax overrides (size, uid, gid, mtime) for the next member. */
  private pendingPax: Partial<Record<'size' | 'uid' | 'gid' | 'mtime', number>> = {};
  private zeroBlocks = 0;
  offset = 0;

  /**
   * `keep`: given a file's first SNIFF bytes, whether to keep its head up to
   * `prefix` (scan keeps whole heads of ELF files only, which spares a copy
   * of 16 KiB of nearly every member).
   */
  constructor(private onMember: (m: TarMember) => void, private prefix = DEFAULT_PREFIX, private later?: LaterRange, private body?: TarBody, private keep?: (first: Uint8Array) => boolean) {}

  feed(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== 'done') {
      if (this.pad > 0) {
        const n = Math.min(this.pad, chunk.length - pos);
        this.pad -= n; pos += n; this.offset += n;
        continue;
      }
      if (this.state === 'header') {
        // A header whole inside the chunk is parsed in place, not copied.
        if (this.bufLen === 0 && chunk.length - pos >= 512) {
          const h = chunk.subarray(pos, pos + 512);
          pos += 512; this.offset += 512;
          this.header(h);
          continue;
        }
        const need = 512 - this.bufLen;
        const n = Math.min(need, chunk.length - pos);
        this.buf.push(chunk.subarray(pos, pos + n));
        this.bufLen += n; pos += n; this.offset += n;
        if (this.bufLen === 512) {
          const h = Buffer.concat(this.buf);
          this.buf = []; this.bufLen = 0;
          this.header(h);
        }
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - pos);
      const part = chunk.subarray(pos, pos + n);
      if (this.state === 'data' && this.current) {
        const c = this.current;
        for (let at = 0; c.headLen < c.prefix && at < part.length;) {
          // With `keep`, the first SNIFF bytes decide whether to go on.
          const upTo = c.sniffed ? c.prefix : Math.min(c.prefix, SNIFF);
          const take = part.subarray(at, at + upTo - c.headLen);
          c.headParts.push(Uint8Array.from(take));
          c.headLen += take.length;
          at += take.length;
          if (!c.sniffed && c.headLen >= Math.min(SNIFF, c.size)) {
            c.sniffed = true;
            if (!this.keep!(concat(c.headParts))) c.prefix = c.headLen;
          }
          if (c.headLen === this.prefix && this.later && c.size > this.prefix) {
            c.want = this.later(concat(c.headParts));
            c.extraParts = [];
          }
        }
        const w = c.want;
        if (w) {
          // Keep the part of this chunk that falls inside the wanted range.
          const a = Math.max(w.offset, c.pos);
          const b = Math.min(w.offset + w.length, c.pos + part.length);
          if (a < b) c.extraParts!.push(Uint8Array.from(part.subarray(a - c.pos, b - c.pos)));
        }
        c.pos += part.length;
        if (this.body && part.length) this.body.data(part);
      } else if (this.state === 'meta') {
        this.metaParts.push(Uint8Array.from(part));
      }
      this.remaining -= n; pos += n; this.offset += n;
      if (this.remaining === 0) this.finishEntry();
    }
  }

  private header(h: Uint8Array): void {
    if (h.every((x) => x === 0)) {
      if (++this.zeroBlocks >= 2) this.state = 'done';
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(h)) throw new XarchError('ARCHIVE_INVALID', `bad tar header checksum at byte ${this.offset - 512}`, { offset: this.offset - 512, hint: 'the archive is damaged, truncated or not a tar file' });
    let size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156]!);
    const isMeta = flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K';
    if (!isMeta && this.pendingPax.size !== undefined) size = this.pendingPax.size;
    if (!Number.isSafeInteger(size)) throw new XarchError('ARCHIVE_INVALID', `tar member size out of range at byte ${this.offset - 512}`, { offset: this.offset - 512 });
    const prefixField = cstr(h, 345, 155);
    let name = cstr(h, 0, 100);
    if (prefixField && cstr(h, 257, 6) === 'ustar') name = `${prefixField}/${name}`;
    const linkname = cstr(h, 157, 100);
    this.nextPad = (512 - (size % 512)) % 512;
    if (isMeta) {
      if (size > MAX_META) throw new XarchError('ARCHIVE_INVALID', `a ${size}-byte tar metadata record is larger than ${MAX_META} bytes`, { offset: this.offset - 512, hint: 'refusing a hostile archive' });
      this.metaKind = flag;
      this.metaParts = [];
      this.remaining = size;
      this.state = 'meta';
      if (size === 0) this.finishEntry();
      return;
    }
    const type: MemberType = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
    const full = this.pendingName ?? name;
    const norm = normaliseMemberPath(full);
    const pax = this.pendingPax;
    this.current = {
      path: norm.path, type, size: type === 'file' ? size : 0, linkname: this.pendingLink ?? linkname,
      mode: octal(h, 100, 8) & 0o7777, uid: pax.uid ?? octal(h, 108, 8), gid: pax.gid ?? octal(h, 116, 8), mtime: pax.mtime ?? octal(h, 136, 12),
      headParts: [], headLen: 0, prefix: this.prefix, sniffed: !this.keep, pos: 0,
    };
    if (norm.unsafe) this.current.unsafeName = full;
    this.pendingName = null;
    this.pendingLink = null;
    this.pendingPax = {};
    this.remaining = size;
    this.state = 'data';
    if (this.body) {
      const { headParts: _p, headLen: _l, prefix: _x, sniffed: _s, pos: _o, ...header } = this.current;
      this.body.begin(header);
    }
    if (size === 0) this.finishEntry();
  }

  private finishEntry(): void {
    this.pad = this.nextPad;
    this.nextPad = 0;
    if (this.state === 'meta') {
      const text = Buffer.concat(this.metaParts).toString('utf8');
      if (this.metaKind === 'L') this.pendingName = text.replace(/\0.*$/s, '');
      else if (this.metaKind === 'K') this.pendingLink = text.replace(/\0.*$/s, '');
      else if (this.metaKind === 'x') {
        // "<len> key=value\n" records.
        for (const m of text.matchAll(/\d+ ([^=]+)=([^\n]*)\n/g)) {
          const [key, value] = [m[1]!, m[2]!];
          if (key === 'path') this.pendingName = value;
          else if (key === 'linkpath') this.pendingLink = value;
          else if (key === 'size' || key === 'uid' || key === 'gid' || key === 'mtime') {
            const n = Number(value);
            if (!Number.isFinite(n) || n < 0) throw new XarchError('ARCHIVE_INVALID', `invalid pax ${key} '${value}' in a tar header`, { offset: this.offset, hint: 'the archive is damaged' });
            this.pendingPax[key] = n;
          }
        }
      }
      this.metaParts = [];
      this.state = 'header';
      return;
    }
    const c = this.current!;
    this.current = null;
    this.state = 'header';
    this.body?.end();
    const head = concat(c.headParts);
    const m: TarMember = { path: c.path, type: c.type, size: c.size, linkname: c.linkname, mode: c.mode, uid: c.uid, gid: c.gid, mtime: c.mtime, head };
    if (c.unsafeName !== undefined) m.unsafeName = c.unsafeName;
    if (c.want && c.extraParts) m.extra = { offset: c.want.offset, bytes: Buffer.concat(c.extraParts) };
    this.onMember(m);
  }

  end(): void {
    if (this.state === 'data' || this.state === 'meta' || this.bufLen > 0) {
      throw new XarchError('ARCHIVE_INVALID', `the tar archive is truncated (ends inside a member at byte ${this.offset})`, { offset: this.offset, hint: 'the download or copy is incomplete' });
    }
  }
}

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

/** Sees the archive's raw (still compressed) bytes as they are read, e.g. to hash them in the same pass. */
export type RawTap = (chunk: Uint8Array) => void;

/** A decompressed byte stream; `consumed()`: how much of the archive (compressed bytes) has been read so far. */
export interface Decompressed {
  stream: Readable;
  done: Promise<void>;
  consumed: () => number;
}

const TOOLS = { zstd: 'zstd', xz: 'xz-utils', bzip2: 'bzip2' } as const;

/** The file offset of descriptor `fd`, shared with a child it was handed to (0 when /proc cannot say). */
function fdPosition(fd: number): number {
  try {
    return Number(/^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A byte stream of `file` (or a range of it), decompressed. */
export function openDecompressed(file: string, compression: Compression, range?: { start: number; end: number }, tap?: RawTap): Decompressed {
  // createReadStream refuses end < start (ERR_OUT_OF_RANGE): an empty range,
  // e.g. a zero-length layer, is an empty archive, as tar(1) reads it.
  if (range && range.end <= range.start) return { stream: Readable.from([]), done: Promise.resolve(), consumed: () => 0 };
  const tool = compression === 'none' || compression === 'gzip' ? null : compression;
  let child: ChildProcess;
  let consumed: () => number;
  if (tool && !range && !tap) {
    // The tool reads the file itself: copying it through this process into
    // a pipe cost a third of a tar.zst scan. It shares the descriptor's
    // offset, which tells how far it has got.
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw fromSystemError(e, file, 'archive');
    }
    child = spawn(tool, ['-dc'], { stdio: [fd, 'pipe', 'pipe'] });
    let closed = false;
    child.on('close', () => { closed = true; closeSync(fd); });
    consumed = () => (closed ? 0 : fdPosition(fd));
  } else {
    const source = createReadStream(file, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
    consumed = () => source.bytesRead;
    const raw: Readable = tap ? source.pipe(new Transform({ transform(chunk: Uint8Array, _enc, cb) { tap(chunk); cb(null, chunk); } })) : source;
    if (tap) source.on('error', (e) => raw.destroy(e));
    if (!tool) return { stream: compression === 'gzip' ? raw.pipe(createGunzip({ chunkSize: 1 << 18 })) : raw, done: Promise.resolve(), consumed };
    child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    raw.pipe(child.stdin!);
    child.stdin!.on('error', () => {});
  }
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new XarchError('ARCHIVE_INVALID', `cannot run ${tool} to decompress ${file}: ${e.message}`, { path: file, hint: `apt-get install ${TOOLS[tool]}` })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new XarchError('ARCHIVE_INVALID', `${tool} could not decompress ${file}: ${err.trim().split('\n')[0]}`, { path: file }))));
  });
  return { stream: child.stdout!, done, consumed };
}

/** A tar file (or a byte range of one, e.g. a layer inside an image archive), decompressed as its first bytes say. */
export function openTar(file: string, range?: { start: number; end: number }, tap?: RawTap): Decompressed {
  let head: Uint8Array;
  try {
    head = readRange(file, range?.start ?? 0, 8);
  } catch (e) {
    throw fromSystemError(e, file, 'archive');
  }
  return openDecompressed(file, detectCompression(head), range, tap);
}

/**
 * Feed every chunk of `stream` to `parser`, then end it. 'data' events, not
 * an async iterator: a promise per 64 KiB chunk cost a third of the time
 * this process spends taking a decompressor's output from its pipe.
 */
export function feedAll(stream: Readable, parser: TarParser): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Uint8Array) => {
      try {
        parser.feed(chunk);
      } catch (e) {
        stream.destroy();
        reject(e);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      try {
        parser.end();
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Read a whole tar stream, calling onMember for each member. */
export async function readTar(stream: Readable, onMember: (m: TarMember) => void, prefix = DEFAULT_PREFIX, later?: LaterRange, body?: TarBody, keep?: (first: Uint8Array) => boolean): Promise<void> {
  const p = new TarParser(onMember, prefix, later, body, keep);
  try {
    await feedAll(stream, p);
  } catch (e) {
    if (e instanceof XarchError) throw e;
    throw new XarchError('ARCHIVE_INVALID', `cannot read the archive: ${(e as Error).message}`, { hint: 'the archive is damaged or its compression is not what its first bytes say' });
  }
}
