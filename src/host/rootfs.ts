// Paths inside a foreign root file system, resolved the way a chroot (or
// QEMU's -L prefix) sees them: absolute symlinks point inside the root.
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Resolve `p` (absolute, as the program names it) inside `root` the way
 * QEMU's -L does: absolute symlink targets are taken relative to the root.
 * Returns the host path of the final file, or null when it does not exist.
 */
export function resolveInRoot(root: string, p: string): string | null {
  // Normalised first: '..' can never climb above the root.
  let rel = path.posix.normalize('/' + p);
  for (let hops = 0; hops < 40; hops++) {
    const parts = rel.split('/').filter(Boolean);
    let cur = '';
    let relinked = false;
    for (let i = 0; i < parts.length; i++) {
      const next = `${cur}/${parts[i]}`;
      let st;
      try {
        st = lstatSync(path.join(root, next));
      } catch {
        return null;
      }
      if (st.isSymbolicLink()) {
        const target = readlinkSync(path.join(root, next));
        const base = target.startsWith('/') ? target : path.posix.join(cur || '/', target);
        rel = path.posix.normalize([base, ...parts.slice(i + 1)].join('/'));
        relinked = true;
        break;
      }
      cur = next;
    }
    if (!relinked) return path.join(root, cur);
  }
  return null;
}

