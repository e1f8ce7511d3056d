// What a session's plan looks up inside its root: where a bind lands
// (through the root's own symlinks, so a mount point can never be made
// outside it) and an image's User as numeric IDs.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { XarchError } from '../core/errors.js';
import { resolveInRoot } from '../host/rootfs.js';
import type { Bind } from './stage.js';

/** A text file's content, or undefined when it cannot be read. */
export function readOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Parse --bind SRC[:DST][:ro|rw] against the lower root. */
export function parseBind(spec: string, lower: string): Bind {
  const parts = spec.split(':');
  let readOnly = false;
  if (parts.length > 1 && (parts.at(-1) === 'ro' || parts.at(-1) === 'rw')) readOnly = parts.pop() === 'ro';
  if (parts.length > 2 || !parts[0]) {
    throw new XarchError('USAGE', `--bind ${spec}: expected SRC[:DST][:ro]`, { hint: 'for example --bind ./debs:/debs:ro' });
  }
  const source = path.resolve(parts[0]);
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new XarchError('PATH_NOT_FOUND', `--bind ${spec}: ${source} does not exist`, { path: source, hint: 'give --bind SRC[:DST][:ro] with an existing host path SRC' });
  }
  const dst = path.posix.normalize(parts[1] ?? source);
  if (!dst.startsWith('/')) throw new XarchError('USAGE', `--bind ${spec}: the destination must be an absolute path inside the root`, { hint: 'for example --bind ./debs:/debs' });
  return { source, target: inRootPath(lower, dst), readOnly, directory: st.isDirectory() };
}

/**
 * `p` with the root's own symlinks resolved as far as it exists, so a mount
 * point made inside the root can never follow an absolute link out to the host.
 */
function inRootPath(root: string, p: string): string {
  const parts = p.split('/').filter(Boolean);
  for (let i = parts.length; i > 0; i--) {
    const hit = resolveInRoot(root, '/' + parts.slice(0, i).join('/'));
    if (hit) return path.posix.join('/', path.relative(root, hit), ...parts.slice(i)) || '/';
  }
  return '/' + parts.join('/');
}

/** An image's User (name, uid, name:group, uid:gid) as numeric IDs, looked up in the root's /etc/passwd and /etc/group. */
export function userIds(root: string, user: string): { uid: number; gid: number } {
  const [u = '', g] = user.split(':');
  const lookup = (file: string, name: string, field: number): number | undefined => {
    if (/^\d+$/.test(name)) return Number(name);
    const f = resolveInRoot(root, file);
    const line = f ? readOr(f)?.split('\n').find((l) => l.split(':')[0] === name) : undefined;
    return line ? Number(line.split(':')[field]) : undefined;
  };
  const uid = lookup('/etc/passwd', u, 2);
  if (uid === undefined) throw new XarchError('CONFIG_INVALID', `the image's user ${user} is not in its /etc/passwd`, { hint: 'run as another user is not possible here; name a command after --' });
  const primary = (() => {
    const f = resolveInRoot(root, '/etc/passwd');
    const line = f ? readOr(f)?.split('\n').find((l) => l.split(':')[2] === String(uid)) : undefined;
    return line ? Number(line.split(':')[3]) : 0;
  })();
  const gid = g === undefined ? primary : lookup('/etc/group', g, 2) ?? 0;
  return { uid, gid };
}
