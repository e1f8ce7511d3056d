// Which foreign architectures a root file system holds, and a record of the
// answer in the roots cache so the next session on the same root skips the
// scan: on a Debian root the 400 header reads were about 33 ms of a session
// start, reading the record takes a few stat calls.
//
// The record is keyed by the identity (dev, inode, mtime, ctime) of the root,
// of its program directories and of its /bin/sh. Installing, removing or
// renaming a program (dpkg and apt rename into place) changes its
// directory's mtime, so the record goes stale exactly when the answer can
// change; a program rewritten in place under the same name is the case it
// misses, and --arch names the architectures outright.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTarget, isHostTarget, targetsForHeader, type Target } from '../core/arch.js';
import { listNames, readHead } from '../host/file.js';
import { resolveInRoot } from '../host/rootfs.js';
import { writeFileAtomic } from '../host/atomic.js';

const BIN_DIRS = ['/bin', '/usr/bin', '/sbin', '/usr/sbin'];
const DEFAULT_LIMIT = 400;

/** Foreign architectures of the programs in a root file system (its shell first, then up to `limit` files). */
export function detectArchitectures(root: string, machine = os.machine(), limit = DEFAULT_LIMIT): Target[] {
  const found = new Map<string, Target>();
  const look = (file: string) => {
    let head: Uint8Array;
    try {
      head = readHead(file, 64);
    } catch {
      return; // not a regular file, or unreadable: skip
    }
    for (const t of targetsForHeader(head)) if (!isHostTarget(t, machine)) found.set(t.name, t);
  };
  const sh = resolveInRoot(root, '/bin/sh');
  if (sh) look(sh);
  let seen = 0;
  for (const dir of programDirs(root)) {
    for (const n of listNames(dir)) {
      if (seen++ >= limit) break;
      look(path.join(dir, n));
    }
  }
  return [...found.values()];
}

/** A merged-/usr root's /bin is /usr/bin: each directory once, as host paths. */
function programDirs(root: string): string[] {
  return [...new Set(BIN_DIRS.map((d) => resolveInRoot(root, d)))].filter((d): d is string => d !== null);
}

interface DetectRecord { root: string; machine: string; limit: number; stamp: string; targets: string[] }

/** What the record's validity rests on: the identity of the root, its program directories and its shell. */
function rootStamp(root: string): string | null {
  const sh = resolveInRoot(root, '/bin/sh');
  const parts: string[] = [];
  for (const p of [root, ...programDirs(root), ...(sh ? [sh] : [])]) {
    try {
      const st = statSync(p);
      parts.push(`${p}:${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}`);
    } catch {
      return null; // vanished meanwhile: scan, record nothing
    }
  }
  return parts.join('|');
}

// FNV-1a, not node:crypto: loading crypto would cost more start-up than the
// record saves; the record holds its root's path, so a collision only misses.
function recordName(root: string): string {
  let h = 0x811c9dc5;
  let g = 0x9e3779b9;
  for (let i = 0; i < root.length; i++) {
    const c = root.charCodeAt(i);
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
    g = Math.imul(g ^ c, 0x01000193 ^ 0x5bd1e995) >>> 0;
  }
  return `${h.toString(16).padStart(8, '0')}${g.toString(16).padStart(8, '0')}.json`;
}

/**
 * detectArchitectures through a record in `cacheDir`/arches: the scan runs
 * when the root changed since the last one (or on its first session). The
 * cache is best effort: an unwritable cache directory only means no record.
 */
export function detectArchitecturesCached(root: string, cacheDir: string, machine = os.machine(), limit = DEFAULT_LIMIT): Target[] {
  const real = path.resolve(root);
  const file = path.join(cacheDir, 'arches', recordName(real));
  const stamp = rootStamp(real);
  if (stamp === null) return detectArchitectures(real, machine, limit);
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as DetectRecord;
    if (r.root === real && r.machine === machine && r.limit === limit && r.stamp === stamp && Array.isArray(r.targets)) {
      const targets = r.targets.map((n) => getTarget(n));
      if (targets.every((t): t is Target => t !== undefined)) return targets;
    }
  } catch { /* no record yet, or not one: scan */ }
  const targets = detectArchitectures(real, machine, limit);
  const record: DetectRecord = { root: real, machine, limit, stamp, targets: targets.map((t) => t.name) };
  try {
    writeFileAtomic(file, Buffer.from(JSON.stringify(record)), { what: 'architecture record' });
    sweepRecords(path.dirname(file));
  } catch { /* read-only cache: the next session scans again */ }
  return targets;
}

/** Remove the records of roots that are gone (temporary roots), so the directory does not grow without end; runs only after a scan. */
function sweepRecords(dir: string): void {
  for (const n of listNames(dir)) {
    if (!n.endsWith('.json')) continue;
    const f = path.join(dir, n);
    try {
      const r = JSON.parse(readFileSync(f, 'utf8')) as Partial<DetectRecord>;
      if (typeof r.root === 'string' && !existsSync(r.root)) rmSync(f, { force: true });
    } catch { /* being written, or not ours: leave it */ }
  }
}
