// Where install --cpu keeps its wrappers (perf/cpu.ts writes them;
// uninstall removes those no entry uses any more): apart from cpu.ts so that
// uninstall does not load the wrapper builder.
import os from 'node:os';
import path from 'node:path';

/**
 * $XARCH_CPU_WRAPPERS, else beside the emulator store (root-owned for root,
 * as install's interpreter checks want).
 */
export function defaultWrapperDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): string {
  if (env.XARCH_CPU_WRAPPERS) return env.XARCH_CPU_WRAPPERS;
  if (uid === 0) return '/var/lib/xarch/cpu-wrappers';
  const base = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'xarch', 'cpu-wrappers');
}
