// Sessions in a foreign root file system. Default (Linux 6.7+, any user):
// a new user, mount and PID namespace with its own binfmt_misc instance,
// F handlers for the root's architectures (the kernel opens the emulator at
// registration, on the host side, so it still runs after chroot), /proc,
// /dev and /sys inside the root, chroot, exec. Everything is private to the
// namespaces and disappears with their last process: nothing to clean up
// on the host, whatever happens to the command.
import { closeSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { isHostTarget, resolveTarget, targetsForHeader, type Target } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { findEmulators } from '../emulators/discover.js';
import { bestEmulator, emulatorHint, type Emulator } from '../emulators/emulator.js';
import { defaultFlags } from '../manage/plan.js';
import { renderRegister, ruleFromTarget } from '../core/rule.js';
import { resolveInRoot } from '../host/rootfs.js';
import { kernelAtLeast } from '../core/kernel-version.js';

export interface SessionRequest {
  rootfs: string;
  command: string[];
  arch?: string[];
  global?: boolean;
  machine?: string;
  kernelRelease?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SessionPlan {
  root: string;
  /** Extracted from a tar: removed when the session ends. */
  temporary: boolean;
  targets: string[];
  /** Register lines for the private instance (empty with --global). */
  rules: string[];
  argv: string[];
  env: Record<string, string>;
}

const BIN_DIRS = ['/bin', '/usr/bin', '/sbin', '/usr/sbin'];

/** Foreign architectures of the programs in a root file system (its shell first, then up to `limit` files). */
export function detectArchitectures(root: string, machine = os.machine(), limit = 400): Target[] {
  const found = new Map<string, Target>();
  const head = new Uint8Array(64);
  const look = (file: string) => {
    let fd: number;
    try {
      if (!statSync(file).isFile()) return;
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const n = readSync(fd, head, 0, 64, 0);
      for (const t of targetsForHeader(head.subarray(0, n))) if (!isHostTarget(t, machine)) found.set(t.name, t);
    } catch { /* unreadable: skip */ } finally {
      closeSync(fd);
    }
  };
  const sh = resolveInRoot(root, '/bin/sh');
  if (sh) look(sh);
  let seen = 0;
  for (const d of BIN_DIRS) {
    const dir = resolveInRoot(root, d);
    if (!dir) continue;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (seen++ >= limit) break;
      look(path.join(dir, n));
    }
  }
  return [...found.values()];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Stage run inside the namespaces: mounts, registrations, chroot. Positional: $1 root, then the command. */
function stageScript(rules: string[], global: boolean): string {
  const lines = ['set -e', 'root="$1"; shift'];
  if (!global) {
    lines.push('mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || { echo "xarch: cannot mount a private binfmt_misc instance (Linux 6.7 or later is needed)" >&2; exit 125; }');
    for (const r of rules) lines.push(`printf '%s' ${shellQuote(r)} > /proc/sys/fs/binfmt_misc/register`);
  }
  lines.push(
    '[ -d "$root/proc" ] && mount -t proc proc "$root/proc" 2>/dev/null || true',
    '[ -d "$root/dev" ] && mount --rbind /dev "$root/dev" 2>/dev/null || true',
    '[ -d "$root/sys" ] && mount --rbind /sys "$root/sys" 2>/dev/null || true',
    // Not exec: the command must not be the namespace's PID 1, which the
    // kernel shields from its own default signal actions. This shell is
    // PID 1; when it exits, the kernel kills whatever is left inside.
    'chroot "$root" "$@" && status=0 || status=$?',
    'exit $status',
  );
  return lines.join('\n');
}

export function planSession(req: SessionRequest): SessionPlan {
  const machine = req.machine ?? os.machine();
  const release = req.kernelRelease ?? os.release();
  let root = path.resolve(req.rootfs);
  let temporary = false;
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new XarchError('PATH_NOT_FOUND', `root file system ${req.rootfs} does not exist`, { path: req.rootfs, hint: 'give a directory (or a tar of one) holding a foreign root file system' });
  }
  if (st.isFile()) {
    root = extractTar(root);
    temporary = true;
  } else if (!st.isDirectory()) {
    throw new XarchError('PATH_NOT_FILE', `${req.rootfs} is neither a directory nor a tar file`, { path: req.rootfs });
  }
  try {
    const command = req.command.length ? req.command : ['/bin/sh'];
    if (!req.command.length && !resolveInRoot(root, '/bin/sh')) {
      throw new XarchError('PATH_NOT_FOUND', `${req.rootfs} has no /bin/sh to start`, { path: req.rootfs, hint: 'name the command to run after --' });
    }
    const targets = req.arch?.length ? req.arch.map((a) => resolveTarget(a).target) : detectArchitectures(root, machine);
    const rules: string[] = [];
    if (!req.global) {
      if (!kernelAtLeast(release, 6, 7)) {
        throw new XarchError('KERNEL_TOO_OLD', `rootless sessions need Linux 6.7 or later (private binfmt_misc instances); this is ${release}`, {
          hint: 'as root, register handlers with xarch install and use xarch shell --global',
        });
      }
      const emulators = findEmulators({ path: req.env?.PATH ?? process.env.PATH ?? '' });
      for (const t of targets) {
        const e: Emulator | undefined = bestEmulator(t.name, emulators.filter((x) => x.static));
        if (!e) {
          throw new XarchError('EMULATOR_NOT_FOUND', `no static emulator for ${t.name}, which ${req.rootfs} contains (a dynamic one cannot start inside the root)`, { hint: emulatorHint() });
        }
        let flags = defaultFlags(e, false, release);
        if (!flags.includes('F')) flags += 'F';
        rules.push(renderRegister(ruleFromTarget(t, { name: `xarch-${t.name}`, interpreter: e.path, flags })));
      }
    }
    const ns = req.global
      ? ['unshare', '--mount', '--pid', '--fork', '--kill-child']
      : ['unshare', '--user', '--map-root-user', '--mount', '--pid', '--fork', '--kill-child'];
    const argv = [...ns, 'sh', '-c', stageScript(rules, !!req.global), 'xarch-shell', root, ...command];
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      TERM: req.env?.TERM ?? 'dumb',
      LANG: 'C.UTF-8',
    };
    return { root, temporary, targets: targets.map((t) => t.name), rules, argv, env };
  } catch (e) {
    if (temporary) rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

function extractTar(file: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xarch-rootfs-'));
  // GNU tar strips leading '/' and refuses '..' members by default; device
  // nodes are skipped (they cannot be made without privilege, and /dev is bound in).
  const r = spawnSync('tar', ['-xf', file, '-C', dir, '--no-same-owner', '--no-same-permissions', '--exclude=./dev/*', '--exclude=dev/*'], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new XarchError('ARCHIVE_INVALID', `cannot unpack ${file}: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`, { path: file, hint: 'give a directory or a tar (optionally compressed) of a root file system' });
  }
  return dir;
}

/** Run the session with inherited stdio; resolves to CMD's status (128+signal when killed). */
export function runSession(plan: SessionPlan, global: boolean): Promise<number> {
  if (global && process.getuid?.() !== 0) {
    return Promise.reject(new XarchError('PERMISSION_DENIED', '--global sessions need root (chroot with the host\'s handlers)', { hint: 'drop --global to run rootless in a private binfmt_misc instance (Linux 6.7+)' }));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(plan.argv[0]!, plan.argv.slice(1), { stdio: 'inherit', env: plan.env });
    // Like a shell: the terminal's SIGINT goes to the session's foreground
    // process; xarch waits for it and cleans up.
    const ignore = () => {};
    const relay = (sig: NodeJS.Signals) => () => { child.kill(sig); };
    const term = relay('SIGTERM');
    const hup = relay('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', term);
    process.on('SIGHUP', hup);
    const done = () => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', term);
      process.off('SIGHUP', hup);
      if (plan.temporary) rmSync(plan.root, { recursive: true, force: true });
    };
    child.on('error', (e) => {
      done();
      reject(new XarchError('SANDBOX_UNAVAILABLE', `cannot start the session: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { hint: 'util-linux unshare and chroot are needed' }));
    });
    child.on('exit', (code, signal) => {
      done();
      if (signal) resolve(128 + (os.constants.signals[signal] ?? 0));
      else resolve(code ?? 1);
    });
  });
}

