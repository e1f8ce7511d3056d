// Where the roots cache lives. Its own module so that a session on a plain
// directory can use the cache (detect.ts) without loading roots.ts and the
// tar and image readers behind it.
import os from 'node:os';
import path from 'node:path';

/** $XARCH_ROOTS_CACHE if set; else $XDG_CACHE_HOME/xarch/roots (~/.cache/xarch/roots), or /var/cache/xarch/roots for root. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): string {
  if (env.XARCH_ROOTS_CACHE) return env.XARCH_ROOTS_CACHE;
  if (uid === 0) return '/var/cache/xarch/roots';
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'xarch', 'roots');
}
