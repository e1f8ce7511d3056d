// Private binfmt_misc instances. Since Linux 6.7 every user namespace that
// mounts binfmt_misc gets its own empty instance; registering there needs no
// host privilege and dies with the namespace. Node cannot call unshare(2)
// itself, so this wraps util-linux's `unshare`, present on every Debian.
import { spawnSync } from 'node:child_process';

import { DEFAULT_BINFMT_DIR } from './kernel.js';

export interface SandboxOptions {
  /** Where to mount the private instance (default /proc/sys/fs/binfmt_misc). */
  binfmtDir?: string;
  /** Shell commands run inside the namespace after the mount, before exec. */
  setup?: string;
}

/**
 * argv that runs `argv` in a new user + mount namespace (mapped to root
 * inside) with a fresh binfmt_misc instance mounted. Works as root and as an
 * unprivileged user.
 */
export function sandboxArgv(argv: readonly string[], opts: SandboxOptions = {}): string[] {
  const dir = opts.binfmtDir ?? DEFAULT_BINFMT_DIR;
  const script = `mount -t binfmt_misc binfmt_misc "$XARCH_SANDBOX_BINFMT" || { echo "xarch: cannot mount a private binfmt_misc instance (Linux 6.7 or later is needed)" >&2; exit 125; }
${opts.setup ?? ''}
exec "$@"`;
  return ['env', `XARCH_SANDBOX_BINFMT=${dir}`, 'unshare', '--user', '--map-root-user', '--mount', '--fork', '--kill-child', 'sh', '-c', script, 'xarch-sandbox', ...argv];
}

export type SandboxSupport = { ok: true } | { ok: false; reason: string };

let cached: SandboxSupport | undefined;

/** Can this process create a private binfmt_misc instance? Asked of the kernel once. */
export function sandboxSupport(): SandboxSupport {
  if (cached) return cached;
  const argv = sandboxArgv(['sh', '-c', 'test -e "$XARCH_SANDBOX_BINFMT/register"']);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (r.error) cached = { ok: false, reason: `cannot run unshare: ${r.error.message}` };
  else if (r.status === 0) cached = { ok: true };
  else {
    const msg = (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`;
    cached = { ok: false, reason: `private binfmt_misc instances are unavailable here (needs Linux 6.7+ and user namespaces): ${msg}` };
  }
  return cached;
}
