// The one atomic file writer (install --persist, export --out-dir). A reader
// (systemd-binfmt at boot, update-binfmts --import, xarch apply) sees the old
// file or the new one, never a torn one, even across a crash or power cut:
// temp file in the same directory (rename(2) is atomic only within one file
// system), fsync, rename, fsync of the directory so the rename itself is on
// disk.
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errnoOf, fromSystemError } from '../core/errors.js';
import { processAlive } from './process.js';

// `<file>.xarch-<pid>.tmp`: never ends in `.conf`, so systemd-binfmt skips a
// leftover one. update-binfmts --import does not (it imports every name in
// its directory, dot files included), which is why leftovers are swept.
const TEMP_SUFFIX = /\.xarch-([1-9][0-9]{0,9})\.tmp$/;

/** The temporary name this process uses while writing `file`. */
export function atomicTempPath(file: string, pid = process.pid): string {
  return `${file}.xarch-${pid}.tmp`;
}

/** Is this file name one of xarch's temporary files (so no reader should take it as configuration)? */
export function isAtomicTemp(name: string): boolean {
  return TEMP_SUFFIX.test(name);
}

/**
 * Remove xarch's temporary files in `dir` whose writer is gone: what a
 * SIGKILL or a crash between open and rename leaves behind (issue 11). A
 * live writer's file is left alone. Returns the paths removed.
 */
export function sweepStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = TEMP_SUFFIX.exec(n);
    if (!m || processAlive(Number(m[1]))) continue;
    const p = path.join(dir, n);
    try {
      rmSync(p, { force: true });
      removed.push(p);
    } catch { /* another sweeper got it, or it is not ours to remove: the write goes on */ }
  }
  return removed;
}

export interface AtomicWriteOptions {
  /** File mode, applied exactly (the umask does not narrow it). Default 0644. */
  mode?: number;
  /** Leave the file untouched when it already holds these bytes (its mtime stays). */
  ifChanged?: boolean;
  /** Names the file in error messages ("binfmt.d file"). */
  what?: string;
}

/**
 * Write `data` to `file` atomically, creating its directory (0755) if need
 * be. Stale temporary files in that directory are swept first. Returns false
 * when `ifChanged` found the content already there, true when written.
 */
export function writeFileAtomic(file: string, data: Uint8Array, opts: AtomicWriteOptions = {}): boolean {
  const dir = path.dirname(file);
  const tmp = atomicTempPath(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    sweepStaleTemps(dir);
    if (opts.ifChanged && sameContent(file, data)) return false;
    // Exclusive create: never follow a link planted under the temp name. A
    // file of that name can only be a dead process's (same PID, reused).
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
    try {
      fchmodSync(fd, opts.mode ?? 0o644);
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    syncDirectory(dir);
    return true;
  } catch (e) {
    throw fromSystemError(e, file, opts.what);
  }
}

function sameContent(file: string, data: Uint8Array): boolean {
  try {
    return Buffer.from(data).equals(readFileSync(file));
  } catch {
    return false;
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (e) {
    // Some file systems (and FUSE mounts) refuse fsync on a directory; the
    // rename has happened, only its durability is up to the file system.
    if (errnoOf(e) !== 'EINVAL' && errnoOf(e) !== 'ENOTSUP') throw e;
  } finally {
    closeSync(fd);
  }
}
