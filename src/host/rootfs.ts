// Paths inside a foreign root file system, resolved the way the kernel
// resolves them for a process chrooted there (openat2's RESOLVE_IN_ROOT):
// absolute symlink targets start again at the root, '..' never climbs above
// it, and '..' after a symlink leaves the directory the link led to, not the
// one its name sits in. One algorithm over a lookup, so a root on disk
// (lstat/readlink) and the in-memory tree of an archive or image give the
// same answer; test/rootfs.test.ts checks both against openat2 itself.
import { existsSync, lstatSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

/** One path as lstat(2) sees it; null from a lookup: it does not exist. */
export type InRootNode = { type: 'dir' } | { type: 'file' } | { type: 'symlink'; target: string };

/**
 * Look up one path inside the root: absolute ('/a/b', '/' for the root
 * itself), every parent already resolved to a real directory.
 */
export type InRootLookup = (p: string) => InRootNode | null;

/** The kernel's MAXSYMLINKS: one resolution that follows more links fails with ELOOP. */
const MAX_SYMLINKS = 40;

/**
 * Resolve `p` inside the root `lookup` describes, following symlinks (the
 * last one too). Returns the resolved path ('/usr/lib/x', '/' for the root)
 * or null where the kernel fails: a missing component (ENOENT), a
 * non-directory followed by more (ENOTDIR), more than 40 links (ELOOP).
 */
export function resolveWith(lookup: InRootLookup, p: string): string | null {
  const done: string[] = [];
  // Components still to walk, the next one last.
  const todo = p.split('/').reverse();
  let links = 0;
  while (todo.length) {
    const c = todo.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop(); // at the root, '..' is the root
      continue;
    }
    done.push(c);
    const node = lookup('/' + done.join('/'));
    if (!node) return null;
    if (node.type === 'symlink') {
      if (++links > MAX_SYMLINKS || node.target === '') return null;
      done.pop();
      if (node.target.startsWith('/')) done.length = 0;
      todo.push(...node.target.split('/').reverse());
    } else if (node.type === 'file' && todo.length) {
      return null;
    }
  }
  return '/' + done.join('/');
}

/** The lookup of a root on disk. */
export function diskLookup(root: string): InRootLookup {
  return (p) => {
    const host = path.join(root, p);
    try {
      const st = lstatSync(host);
      if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(host) };
      return st.isDirectory() ? { type: 'dir' } : { type: 'file' };
    } catch {
      return null;
    }
  };
}

/**
 * Resolve `p` (absolute, as the program names it) inside the directory
 * `root`, as a chroot there would. Returns the host path of the final file,
 * or null when it does not exist.
 */
export function resolveInRoot(root: string, p: string): string | null {
  const r = resolveWith(diskLookup(root), p);
  return r === null ? null : path.join(root, r.slice(1));
}

/** An OCI image layout directory (an image root), not a plain root file system. */
export const isOciLayout = (dir: string): boolean => existsSync(path.join(dir, 'oci-layout')) && existsSync(path.join(dir, 'index.json'));

/**
 * A root directory a session uses as it is, with no copy: a plain directory
 * (not an OCI layout), used read-only (other owners just show as nobody), or
 * owned by the caller or used by root. The one rule, shared by sessions'
 * fast path and session/roots.ts prepareRoot.
 */
export function usableInPlace(dir: string, st: Stats, writable: boolean, uid = process.getuid?.() ?? 0): boolean {
  return st.isDirectory() && !isOciLayout(dir) && (!writable || uid === 0 || st.uid === uid);
}
