// Which binfmt_misc mounts xarch made, and taking them down again. xarch
// mounts with the source name "xarch" (host/kernel.ts ensureMounted), which
// /proc/self/mountinfo shows for as long as the mount lives: no state file
// to go stale, and a mount systemd or an admin made ("binfmt_misc", "none")
// is never taken for xarch's.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';

/** The source name xarch mounts binfmt_misc with. */
export const XARCH_MOUNT_SOURCE = 'xarch';

/** mountinfo escapes space, tab, newline and backslash in octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The source of the binfmt_misc mount at `dir` (the topmost), or null when none is there. */
export function binfmtMountSource(dir: string, mountinfo = '/proc/self/mountinfo'): string | null {
  let real: string;
  let text: string;
  try {
    real = realpathSync(dir);
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return null;
  }
  let source: string | null = null;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0 || unescape(f[4] ?? '') !== real) continue;
    // A later line at the same mount point is mounted over the earlier one.
    source = f[dash + 1] === 'binfmt_misc' ? unescape(f[dash + 2] ?? '') : null;
  }
  return source;
}

/** Unmount the binfmt_misc instance at `dir` if xarch mounted it. Returns whether it did. */
export function unmountIfOurs(dir: string): boolean {
  if (binfmtMountSource(dir) !== XARCH_MOUNT_SOURCE) return false;
  return spawnSync('umount', [dir], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}
