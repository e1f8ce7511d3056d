// Unpacking tars into a directory, on the one tar reader (host/tar.ts): a
// root file system tar, or an image's layers in order with their whiteouts.
//
// Nothing is ever written outside the target: names with '..' are refused,
// absolute names are taken relative to the target, each member's parent is
// resolved inside the target the way the root will see it (host/rootfs.ts,
// absolute symlinks point inside), and the last component is never followed
// (what is there is removed first, files are opened O_EXCL|O_NOFOLLOW), so a
// symlink planted by an earlier member cannot carry a later write out.
import {
  closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, chmodSync, chownSync, writeSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fromSystemError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { resolveInRoot } from './rootfs.js';
import { normaliseMemberPath, openTar, readTar, type TarBody, type TarHeader } from './tar.js';

export interface UnpackOptions {
  /** Keep the archive's owners (default: only when running as root, who alone can). */
  keepOwners?: boolean;
  /** Told the members unpacked so far, every 2000 (core/progress.ts). */
  progress?: (p: Progress) => void;
}

export interface UnpackStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
  /** `.wh.NAME` and `.wh..wh..opq` markers applied (layers only). */
  whiteouts: number;
  skipped: {
    /** Character and block devices, FIFOs: not creatable without privilege (a session provides /dev). */
    devices: number;
    /** Names with '..', or whose parent is not a directory inside the target. */
    unsafe: number;
    /** Hard links to a member that is not there. */
    links: number;
  };
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function emptyStats(): UnpackStats {
  return { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, whiteouts: 0, skipped: { devices: 0, unsafe: 0, links: 0 } };
}

function lstatOrNull(p: string): Stats | null {
  try {
    // Most paths asked about do not exist yet: an ENOENT error object for
    // each cost more than the lstat (a third of unpacking a Debian root).
    return lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Unpacks one or more tars into `target` (an existing directory). Directory
 * modes and times are set by finish(), deepest first, once everything is in:
 * a read-only directory of a lower layer must still take the upper layer's
 * files, and adding a child changes a directory's mtime.
 */
export class Unpacker implements TarBody {
  readonly stats = emptyStats();
  private readonly keepOwners: boolean;
  /** Directory (relative) → its host path, resolved inside the target. */
  private dirs = new Map<string, string>();
  /** Paths written by the layer being unpacked: an opaque marker hides only lower layers. */
  private layerPaths = new Set<string>();
  private layerMode = false;
  private deferred = new Map<string, TarHeader>();
  private fd = -1;
  private fdPath = '';
  private current: TarHeader | null = null;
  private members = 0;

  constructor(private readonly target: string, private readonly opts: UnpackOptions = {}) {
    this.target = path.resolve(target);
    this.keepOwners = opts.keepOwners ?? process.getuid?.() === 0;
  }

  /** Unpack a plain tar stream (no whiteout processing). */
  tar(stream: Readable): Promise<void> {
    return this.read(stream, false);
  }

  /** Unpack an image layer over what is already there, applying its whiteouts. */
  layer(stream: Readable): Promise<void> {
    this.layerPaths = new Set();
    return this.read(stream, true);
  }

  private async read(stream: Readable, layer: boolean): Promise<void> {
    this.layerMode = layer;
    try {
      await readTar(stream, () => {}, 0, undefined, this);
    } finally {
      // A damaged archive ends mid-member: its file is left as far as it got (the caller drops the target).
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      this.current = null;
      this.layerMode = false;
    }
  }

  begin(h: TarHeader): void {
    this.current = null;
    if (this.opts.progress && ++this.members % 2000 === 0) this.opts.progress({ phase: 'unpacking', done: this.members, unit: 'entries' });
    if (h.unsafeName !== undefined && h.unsafeName.split('/').includes('..')) {
      this.stats.skipped.unsafe++;
      return;
    }
    try {
      this.place(h);
    } catch (e) {
      throw fromSystemError(e, path.join(this.target, h.path), 'member');
    }
  }

  data(chunk: Uint8Array): void {
    if (this.fd < 0) return;
    let off = 0;
    try {
      while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
    } catch (e) {
      throw fromSystemError(e, this.fdPath, 'file');
    }
    this.stats.bytes += chunk.length;
  }

  end(): void {
    const h = this.current;
    this.current = null;
    if (this.fd < 0 || !h) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      // Owner before mode: chown clears setuid/setgid.
      if (this.keepOwners) this.chown(() => fchownSync(fd, h.uid, h.gid));
      fchmodSync(fd, this.modeOf(h));
      futimesSync(fd, h.mtime, h.mtime);
    } catch (e) {
      throw fromSystemError(e, this.fdPath, 'file');
    } finally {
      closeSync(fd);
    }
  }

  /** Set directories' owners, modes and times, deepest first. */
  finish(): UnpackStats {
    const all = [...this.deferred].sort((a, b) => b[0].length - a[0].length);
    for (const [p, h] of all) {
      try {
        if (this.keepOwners) this.chown(() => chownSync(p, h.uid, h.gid));
        chmodSync(p, this.modeOf(h));
        utimesSync(p, h.mtime, h.mtime);
      } catch (e) {
        // A directory a later layer removed or replaced.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(e, p, 'directory');
      }
    }
    this.deferred.clear();
    return this.stats;
  }

  private modeOf(h: TarHeader): number {
    // Without root a setuid/setgid file would carry the unpacking user's ID.
    return this.keepOwners ? h.mode : h.mode & ~0o6000;
  }

  private chown(f: () => void): void {
    try {
      f();
    } catch (e) {
      // IDs not mapped in this user namespace: the file keeps the unpacker's.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'EPERM') throw e;
    }
  }

  private place(h: TarHeader): void {
    const rel = h.path;
    const base = path.posix.basename(rel);
    const parentRel = rel.includes('/') ? path.posix.dirname(rel) : '';
    if (this.layerMode && base.startsWith(WHITEOUT)) {
      this.whiteout(parentRel, base);
      return;
    }
    if (rel === '') {
      if (h.type === 'dir') this.deferred.set(this.target, h);
      else this.stats.skipped.unsafe++;
      return;
    }
    if (h.type === 'other') {
      this.stats.skipped.devices++;
      return;
    }
    const parent = this.dir(parentRel);
    if (parent === null) {
      this.stats.skipped.unsafe++;
      return;
    }
    const host = path.join(parent, base);
    if (this.layerMode) this.layerPaths.add(rel);
    if (h.type === 'dir') {
      const st = lstatOrNull(host);
      if (!st?.isDirectory()) {
        if (st) this.remove(host, st);
        mkdirSync(host, 0o755);
      }
      this.dirs.set(rel, host);
      this.deferred.set(host, h);
      this.stats.dirs++;
      return;
    }
    if (h.type === 'hardlink') {
      const src = this.existing(h.linkname);
      if (!src) {
        this.stats.skipped.links++;
        return;
      }
      if (src === host) return;
      this.remove(host);
      linkSync(src, host);
      this.stats.hardlinks++;
      return;
    }
    if (h.type === 'symlink') {
      this.remove(host);
      symlinkSync(h.linkname, host);
      if (this.keepOwners) this.chown(() => lchownSync(host, h.uid, h.gid));
      lutimesSync(host, h.mtime, h.mtime);
      this.stats.symlinks++;
      return;
    }
    // Created exclusively (never through a link planted at its name); what
    // is in the way (a later layer's replacement, a duplicate member) is
    // removed only when there is something: most files are new.
    try {
      this.fd = openSync(host, CREATE, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      this.remove(host);
      this.fd = openSync(host, CREATE, 0o600);
    }
    this.fdPath = host;
    this.current = h;
    this.stats.files++;
  }

  /**
   * The host path of directory `rel`, resolved inside the target (symlinks
   * followed as the root sees them), missing components created when
   * `create`; null when it resolves to something that is not a directory.
   */
  private dir(rel: string, create = true): string | null {
    if (rel === '') return this.target;
    const hit = this.dirs.get(rel);
    if (hit !== undefined) return hit;
    const parent = this.dir(rel.includes('/') ? path.posix.dirname(rel) : '', create);
    if (parent === null) return null;
    let host = path.join(parent, path.posix.basename(rel));
    const st = lstatOrNull(host);
    if (st?.isSymbolicLink()) {
      const r = resolveInRoot(this.target, rel);
      if (r === null || !lstatOrNull(r)?.isDirectory()) return null;
      host = r;
    } else if (!st) {
      if (!create) return null;
      mkdirSync(host, 0o755);
    } else if (!st.isDirectory()) {
      return null;
    }
    this.dirs.set(rel, host);
    return host;
  }

  /** The host path of an existing member named `name` (a hard link's target), its last component not followed. */
  private existing(name: string): string | null {
    if (name.split('/').includes('..')) return null;
    const rel = normaliseMemberPath(name).path;
    if (rel === '') return null;
    const parent = this.dir(rel.includes('/') ? path.posix.dirname(rel) : '', false);
    if (parent === null) return null;
    const host = path.join(parent, path.posix.basename(rel));
    const st = lstatOrNull(host);
    return st && !st.isDirectory() ? host : null;
  }

  /**
   * Remove what is at `host` (never following it). When a directory or a
   * symlink goes, resolved directories beneath or through it are forgotten.
   */
  private remove(host: string, st: Stats | null = lstatOrNull(host)): void {
    if (!st) return;
    if (st.isDirectory()) rmSync(host, { recursive: true, force: true });
    else unlinkSync(host);
    if (st.isDirectory() || st.isSymbolicLink()) this.dirs.clear();
  }

  private whiteout(parentRel: string, base: string): void {
    const parent = this.dir(parentRel, false);
    this.stats.whiteouts++;
    if (parent === null) return;
    if (base === OPAQUE) {
      this.opaque(parent, parentRel);
      return;
    }
    const name = base.slice(WHITEOUT.length);
    if (!name || name === '.' || name === '..') return;
    this.remove(path.join(parent, name));
  }

  /** Empty a directory of what lower layers put there, keeping this layer's own entries. */
  private opaque(host: string, rel: string): void {
    for (const name of readdirSync(host)) {
      const childRel = rel ? `${rel}/${name}` : name;
      const child = path.join(host, name);
      const st = lstatOrNull(child);
      if (!this.layerPaths.has(childRel)) this.remove(child, st);
      else if (st?.isDirectory()) this.opaque(child, childRel);
    }
  }
}

/** Unpack the tar `file` (plain, gzip, zstd, xz or bzip2) into `target`, an existing directory. */
export async function unpackTarFile(file: string, target: string, opts: UnpackOptions = {}): Promise<UnpackStats> {
  const { stream, done } = openTar(file);
  const u = new Unpacker(target, opts);
  await Promise.all([u.tar(stream), done]);
  return u.finish();
}
