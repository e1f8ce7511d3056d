// Which binfmt_misc mounts xarch made, and taking them down again. xarch
// mounts with the source name "xarch" (host/kernel.ts ensureMounted), which
// /proc/self/mountinfo shows for as long as the mount lives: no state file
// to go stale, and a mount systemd or an admin made ("binfmt_misc", "none")
// is never taken for xarch's.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { mountsAt } from './instance.js';

/** The source name xarch mounts binfmt_misc with. */
export const XARCH_MOUNT_SOURCE = 'xarch';

/** The source of the binfmt_misc mount at `dir` (the topmost mount), or null when none is there. */
export function binfmtMountSource(dir: string, mountinfo = '/proc/self/mountinfo'): string | null {
  let top;
  try {
    top = mountsAt(readFileSync(mountinfo, 'utf8'), realpathSync(dir)).at(-1);
  } catch {
    return null;
  }
  return top?.type === 'binfmt_misc' ? top.source : null;
}

/** Unmount the binfmt_misc instance at `dir` if xarch mounted it. Returns whether it did. */
export function unmountIfOurs(dir: string): boolean {
  if (binfmtMountSource(dir) !== XARCH_MOUNT_SOURCE) return false;
  return spawnSync('umount', [dir], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}
