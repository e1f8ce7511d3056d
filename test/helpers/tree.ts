// A tree's identity for "stays byte-identical" assertions.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

/** Every path, type, mode, owner, size, link target and content hash of a tree: equal digests, identical trees. */
export function treeDigest(root: string): string {
  const r = spawnSync('sh', ['-c', 'cd "$1" && find . -printf "%p %y %m %U %G %s %l\\n" | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum', 'x', root], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`cannot hash ${root}: ${r.stderr}`);
  return createHash('sha256').update(r.stdout).digest('hex');
}
