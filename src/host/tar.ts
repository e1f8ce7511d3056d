// A streaming tar reader (ustar, pax and GNU long names). It never writes
// anything: members are handed to a callback with their normalised path and
// the first bytes of their data, so hostile names ("../", absolute paths),
// links pointing out and huge sizes cannot reach the disk. Unpacking
// (host/unpack.ts) is a TarBody sink fed by this same parser.
import path from 'node:path';
import type { Readable } from 'node:stream';
import { XarchError } from '../core/errors.js';
import { feedAll } from './decompress.js';

// Decompression and the feeding of a parser moved to host/decompress.ts; the
// tar reader's users keep importing them from here.
export { detectCompression, feedAll, feedDecompressed, openDecompressed, openTar, type Compression, type Decompressed, type RawTap } from './decompress.js';

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
  // Digits between leading and trailing NULs or spaces, read as they come:
  // eight times a member, where a string and a regular expression cost more
  // than the rest of its header.
  const end = off + len;
  let i = off;
  while (i < end && (b[i] === 0 || b[i] === 0x20)) i++;
  const first = i;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) {
      let field = '';
      for (let j = first; j < end && b[j] !== 0 && b[j] !== 0x20; j++) field += String.fromCharCode(b[j]!);
      throw new XarchError('ARCHIVE_INVALID', `invalid octal field '${field}' in a tar header`, { hint: 'the archive is damaged or not a tar file' });
    }
    v = v * 8 + (c - 0x30);
  }
  return v;
}

function cstr(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  // A view, not a copy, decoded as Buffer decodes.
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('utf8');
}

const NO_BYTES = new Uint8Array(0);

/** The sum of a header's bytes: 0 for an end-of-archive block. */
function byteSum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  return sum;
}

/** The checksum counts its own eight bytes as spaces. */
function checksumOk(h: Uint8Array, sum: number): boolean {
  for (let i = 148; i < 156; i++) sum -= h[i]!;
  return sum + 8 * 0x20 === octal(h, 148, 8);
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
  /** The member being read: its head is copied into one array of its own, grown once when `keep` says so. */
  private current: (Omit<TarMember, 'head'> & { head: Uint8Array; headLen: number; prefix: number; sniffed: boolean; pos: number; want?: { offset: number; length: number } | null; extraParts?: Uint8Array[] }) | null = null;
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
        // A copy: the caller may reuse the chunk's memory for its next read.
        this.buf.push(Uint8Array.from(chunk.subarray(pos, pos + n)));
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
          const upTo = Math.min(c.sniffed ? c.prefix : Math.min(c.prefix, SNIFF), c.size);
          if (c.head.length < upTo) {
            const grown = new Uint8Array(upTo);
            grown.set(c.head.subarray(0, c.headLen));
            c.head = grown;
          }
          const take = Math.min(upTo - c.headLen, part.length - at);
          c.head.set(part.subarray(at, at + take), c.headLen);
          c.headLen += take;
          at += take;
          if (!c.sniffed && c.headLen >= Math.min(SNIFF, c.size)) {
            c.sniffed = true;
            if (!this.keep!(c.head.subarray(0, c.headLen))) c.prefix = c.headLen;
          }
          if (c.headLen === this.prefix && this.later && c.size > this.prefix) {
            c.want = this.later(c.head.subarray(0, c.headLen));
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
    const sum = byteSum(h);
    if (sum === 0) {
      if (++this.zeroBlocks >= 2) this.state = 'done';
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(h, sum)) throw new XarchError('ARCHIVE_INVALID', `bad tar header checksum at byte ${this.offset - 512}`, { offset: this.offset - 512, hint: 'the archive is damaged, truncated or not a tar file' });
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
      head: NO_BYTES, headLen: 0, prefix: this.prefix, sniffed: !this.keep, pos: 0,
    };
    if (norm.unsafe) this.current.unsafeName = full;
    this.pendingName = null;
    this.pendingLink = null;
    this.pendingPax = {};
    this.remaining = size;
    this.state = 'data';
    if (this.body) {
      const { head: _h, headLen: _l, prefix: _x, sniffed: _s, pos: _o, ...header } = this.current;
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
    const head = c.head.length === c.headLen ? c.head : c.head.subarray(0, c.headLen);
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
