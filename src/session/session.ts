// Sessions in a foreign root file system. Default (Linux 6.7+, any user):
// a new user, mount and PID namespace with its own binfmt_misc instance,
// F handlers for the root's architectures (the kernel opens the emulator at
// registration, on the host side, so it still runs after chroot), an
// optional overlay, /proc, a small /dev, binds, then the command. The stage
// (stage.ts) builds the view; this file plans it and runs it.
//
// Lifecycle: setpriv gives unshare a parent-death SIGKILL, unshare
// --kill-child kills the namespace's init when unshare dies, and a PID
// namespace whose init dies takes every process with it; the mount
// namespace goes with its last process. So whatever ends xarch ends the
// session and leaves no mount. util-linux `unshare --fork` ignores SIGINT
// and SIGTERM, so xarch signals the command's process group itself.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { launcherMissing, namespaceArgv, openStageChannel, type StageChannel } from '../host/namespace.js';
import { exitStatus, spawnWithRelay } from '../host/process.js';
import { guardTerminalMode } from '../host/terminal.js';
import type { PreparedRoot } from './roots.js';
import type { Progress } from '../core/progress.js';
import { mergedRoot, stageScript, type Bind, type Layer, type MountPoints } from './stage.js';
import { parseBind, readOr, userIds } from './inroot.js';
import { planIdMap, type IdPlan } from './idmap.js';
import { sweepSessionTemps } from './temp.js';
import os from 'node:os';
import path from 'node:path';
import { resolveTarget, type Target } from '../core/arch.js';
import { XarchError } from '../core/errors.js';
import { findEmulators } from '../emulators/discover.js';
import { bestEmulator, defaultFlags, emulatorHint, type Emulator } from '../emulators/emulator.js';
import { renderRegister, ruleFromTarget } from '../core/rule.js';
import { resolveInRoot, usableInPlace } from '../host/rootfs.js';
import { detectArchitectures, detectArchitecturesCached } from './detect.js';
import { defaultCacheDir } from './cache-dir.js';
import { kernelAtLeast } from '../core/kernel-version.js';
import { checkCpuModel } from '../perf/cpu-check.js';

export interface SessionRequest {
  rootfs: string;
  command: string[];
  arch?: string[];
  global?: boolean;
  machine?: string;
  kernelRelease?: string;
  /** The caller's environment (PATH to find emulators, TERM). */
  env?: NodeJS.ProcessEnv;
  /** Keep every write in this directory (upper/ and work/) over an untouched root. */
  overlay?: string;
  /** Writes go to a layer that disappears with the session. */
  ephemeral?: boolean;
  /** SRC[:DST][:ro] */
  binds?: string[];
  workdir?: string;
  /** K=V added to the command's environment. */
  setEnv?: string[];
  /** Give the command a pseudo-terminal (the caller's stdin and stdout are terminals). */
  terminal?: boolean;
  /** Pick this platform from a multi-platform image index. */
  platform?: string;
  /** The command's user inside (an image's User: name or uid[:gid]). */
  user?: string;
  /** Who runs the session (default: this process, /etc/subuid, /etc/subgid). */
  ids?: Parameters<typeof planIdMap>[0];
  /** Emulators to register (an emulator store set's canary); default: the host's own, found on disk. */
  emulators?: Emulator[];
  /** Told how far unpacking a tar or image root has got (session/roots.ts). */
  progress?: (p: Progress) => void;
  /** QEMU CPU model for every emulated process (QEMU_CPU), checked against each target's emulator. */
  cpu?: string;
}

/** The handlers a session registers: the part of planning that runSession does while the namespace chain starts. */
export interface SessionHandlers {
  targets: string[];
  /** Register lines for the private instance (empty with --global). */
  rules: string[];
}

export interface SessionPlan extends SessionHandlers {
  root: string;
  /** Extracted from a tar: removed when the session ends. */
  temporary: boolean;
  /** A tar or image root: true when it came from the roots cache without unpacking. */
  cached?: boolean;
  /** What the root lacks for this user (a copied tree's unreadable files). */
  rootNote?: string;
  argv: string[];
  env: Record<string, string>;
  command: string[];
  layer: Layer;
  /** The --overlay directory, when there is one. */
  overlayDir?: string;
  binds: Bind[];
  workdir: string;
  terminal: boolean;
  /** The user namespace's ID map (null with --global: no user namespace). */
  ids: IdPlan | null;
  release: string;
}

/**
 * A plan but for its handlers, which `handlers()` finds (detection and the
 * emulator lookup): runSession calls it just after the spawn, so that work
 * overlaps the chain's first execs, and the stage reads the register lines
 * from fd 3 with "go" (stage.ts, host/namespace.ts).
 */
export type PreparedSession = Omit<SessionPlan, keyof SessionHandlers> & { handlers: () => SessionHandlers };

export { detectArchitectures };

const TOOL_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/** A host tool by absolute path: the stage runs it after the session's PATH (maybe an image's) is in force. */
function hostTool(name: string): string {
  return TOOL_DIRS.map((d) => `${d}/${name}`).find((p) => existsSync(p)) ?? name;
}


/** This process's IDs and subordinate ranges, for planIdMap. */
export function hostIdFacts(): Parameters<typeof planIdMap>[0] {
  const uid = process.geteuid?.() ?? 0;
  // Root keeps every ID as it is (planIdMap): its name, ranges and the
  // helpers do not matter, and looking them up was a tenth of planning.
  if (uid === 0) return { uid, gid: process.getegid?.() ?? 0, user: 'root', helpers: false };
  const info = os.userInfo();
  return {
    uid: info.uid, gid: info.gid, user: info.username,
    subuid: readOr('/etc/subuid'), subgid: readOr('/etc/subgid'),
    helpers: existsSync(hostTool('newuidmap')) && existsSync(hostTool('newgidmap')),
  };
}

function sessionEnv(req: SessionRequest): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    TERM: req.env?.TERM ?? 'dumb',
    LANG: 'C.UTF-8',
  };
  for (const kv of req.setEnv ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new XarchError('USAGE', `--env ${kv}: expected K=V`, { hint: 'for example --env DEBIAN_FRONTEND=noninteractive' });
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  // The stage, the chroot and every exec keep the environment, and the
  // kernel starts a handler's emulator with the program's: QEMU reads it.
  if (req.cpu) env.QEMU_CPU = req.cpu;
  return env;
}

/** The session's whole plan (prepareSession with its handlers found). */
export async function planSession(req: SessionRequest): Promise<SessionPlan> {
  const { handlers, ...plan } = await prepareSession(req);
  return { ...plan, ...handlers() };
}

/**
 * The session's plan, its handlers left to find. Tar and image roots are
 * unpacked once into the roots cache (session/roots.ts) and used read-only
 * under an overlay (ephemeral unless --overlay is given); an image's config
 * supplies the defaults.
 */
export async function prepareSession(req: SessionRequest): Promise<PreparedSession> {
  try {
    statSync(req.rootfs);
  } catch {
    throw new XarchError('PATH_NOT_FOUND', `root file system ${req.rootfs} does not exist`, { path: req.rootfs, hint: 'give a directory, a tar of one, or a container image (docker save / OCI layout)' });
  }
  if (req.overlay && req.ephemeral) throw new XarchError('USAGE', '--overlay and --ephemeral exclude each other', { hint: 'keep writes in a directory (--overlay DIR) or discard them (--ephemeral)' });
  // A plain directory used in place, the common root, needs none of the tar
  // and image readers (roots.ts and its modules were a tenth of start-up).
  const writable = !!(req.overlay || req.ephemeral);
  const prepared: PreparedRoot = inPlaceRoot(req.rootfs, writable) && !req.platform
    ? { root: path.resolve(req.rootfs), kind: 'dir', cached: false }
    : await (await import('./roots.js')).prepareRoot(req.rootfs, { ...(req.platform ? { platform: req.platform } : {}), ...(req.env ? { env: req.env } : {}), ...(req.progress ? { progress: req.progress } : {}), writable });
  const config = prepared.config;
  const r: SessionRequest = { ...req };
  if (prepared.kind !== 'dir' && !req.overlay) r.ephemeral = true;
  if (config) {
    r.setEnv = [...config.env, ...(req.setEnv ?? [])];
    if (!req.workdir && config.workingDir) r.workdir = config.workingDir;
    const entry = config.entrypoint ?? [];
    r.command = req.command.length ? [...entry, ...req.command] : [...entry, ...(config.cmd ?? [])];
    if (config.user) r.user = config.user;
  }
  const plan = planWith(r, prepared.root);
  if (prepared.kind !== 'dir') plan.cached = prepared.cached;
  if (prepared.unreadable) {
    const n = prepared.unreadable.length;
    plan.rootNote = `${req.rootfs} belongs to another user, so this session uses a copy in the roots cache; ${n} path${n === 1 ? '' : 's'} you cannot read ${n === 1 ? 'is' : 'are'} missing from it (${prepared.unreadable.slice(0, 5).join(', ')}${n > 5 ? ', ...' : ''})`;
  }
  return plan;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** What the stage mounts over, when the root is used as it is. */
function mountPointsOf(root: string): MountPoints {
  return { dev: isDirectory(`${root}/dev`), proc: isDirectory(`${root}/proc`), sys: isDirectory(`${root}/sys`) };
}

/** prepareRoot (roots.ts) would use this directory as it is (host/rootfs.ts usableInPlace). */
function inPlaceRoot(spec: string, writable: boolean): boolean {
  try {
    return usableInPlace(spec, statSync(spec), writable);
  } catch {
    return false;
  }
}

function planWith(req: SessionRequest, root: string): PreparedSession {
  const machine = req.machine ?? os.machine();
  const release = req.kernelRelease ?? os.release();
  const command = req.command.length ? req.command : ['/bin/sh'];
  if (!req.command.length && !resolveInRoot(root, '/bin/sh')) {
    throw new XarchError('PATH_NOT_FOUND', `${req.rootfs} has no /bin/sh to start`, { path: req.rootfs, hint: 'name the command to run after --' });
  }
  const named = req.arch?.length ? req.arch.map((a) => resolveTarget(a).target) : undefined;
  if (!req.global && !kernelAtLeast(release, 6, 7)) {
    throw new XarchError('KERNEL_TOO_OLD', `rootless sessions need Linux 6.7 or later (private binfmt_misc instances); this is ${release}`, {
      hint: 'as root, register handlers with xarch install and use xarch shell --global',
    });
  }
  const handlers = (): SessionHandlers => {
    const targets = named ?? detectArchitecturesCached(root, defaultCacheDir(req.env ?? process.env), machine);
    return { targets: targets.map((t) => t.name), rules: req.global ? [] : handlerRules(req, targets, release) };
  };
  let layer: Layer = { kind: 'none' };
  let overlayDir: string | undefined;
  if (req.overlay) {
    overlayDir = path.resolve(req.overlay);
    layer = { kind: 'overlay', upper: path.join(overlayDir, 'upper'), work: path.join(overlayDir, 'work') };
  } else if (req.ephemeral) layer = { kind: 'ephemeral' };
  const workdir = req.workdir ?? '/';
  if (!workdir.startsWith('/')) throw new XarchError('USAGE', `--workdir ${workdir}: expected an absolute path inside the root`, { hint: 'for example --workdir /root' });
  const binds = (req.binds ?? []).map((b) => parseBind(b, root));
  const terminal = !!req.terminal;
  const ids = req.global ? null : planIdMap(req.ids ?? hostIdFacts());
  const script = stageScript({
    rules: req.global ? null : 'sent', lower: root, layer, binds, workdir, terminal, mountPoints: mountPointsOf(root), ...(req.user ? { user: userIds(root, req.user) } : {}),
    tools: { unshare: hostTool('unshare'), setsid: hostTool('setsid'), script: hostTool('script'), env: hostTool('env') },
  }, command);
  const argv = namespaceArgv({ ids: req.global ? 'none' : 'deferred', pid: true, dieWithParent: true, script, args: ['xarch-shell'] });
  const plan: PreparedSession = {
    root, temporary: false, argv, env: sessionEnv(req), command,
    layer, binds, workdir, terminal, ids, release, handlers,
  };
  if (overlayDir) plan.overlayDir = overlayDir;
  return plan;
}

/** The register lines of a rootless session: each target's best static emulator, pinned with F. */
function handlerRules(req: SessionRequest, targets: readonly Target[], release: string): string[] {
  const emulators = req.emulators ?? findEmulators({ path: req.env?.PATH ?? process.env.PATH ?? '', cpus: new Set(targets.map((t) => t.cpu)) });
  return targets.map((t) => {
    const e: Emulator | undefined = bestEmulator(t.name, emulators.filter((x) => x.static));
    if (!e) {
      throw new XarchError('EMULATOR_NOT_FOUND', `no static emulator for ${t.name}, which ${req.rootfs} contains (a dynamic one cannot start inside the root)`, { hint: emulatorHint() });
    }
    if (req.cpu) checkCpuModel(e.via ?? e.path, req.cpu, t.name);
    let flags = defaultFlags(e, false, release);
    if (!flags.includes('F')) flags += 'F';
    return renderRegister(ruleFromTarget(t, { name: `xarch-${t.name}`, interpreter: e.path, flags }));
  });
}

/** Host PIDs of the children of `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The command's host PID: unshare → the stage (PID 1 inside) → [script →] the command. */
function commandPid(unshare: number, terminal: boolean): number | undefined {
  let pid: number | undefined = unshare;
  for (let depth = terminal ? 3 : 2; depth > 0 && pid !== undefined; depth--) pid = childrenOf(pid)[0];
  return pid;
}

const RELAYED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Run the session with inherited stdio; resolves to CMD's status (128+signal when killed). */
export async function runSession(plan: SessionPlan | PreparedSession, global: boolean): Promise<number> {
  if (global && process.getuid?.() !== 0) {
    throw new XarchError('PERMISSION_DENIED', '--global sessions need root (chroot with the host\'s handlers)', { hint: 'drop --global to run rootless in a private binfmt_misc instance (Linux 6.7+)' });
  }
  if (plan.layer.kind === 'overlay') {
    mkdirSync(plan.layer.upper, { recursive: true });
    mkdirSync(plan.layer.work, { recursive: true });
  }
  // script(1) cannot restore the terminal's mode when SIGKILL of xarch ends the session.
  const terminal = plan.terminal ? guardTerminalMode() : null;
  let channel: StageChannel | undefined;
  let endedBy: NodeJS.Signals | undefined;
  const deliver = (child: ChildProcess, sig: NodeJS.Signals) => {
    const pid = channel?.running() ? commandPid(child.pid!, plan.terminal) : undefined;
    // The command runs in a session of its own: signal its process group,
    // as a terminal signals the foreground job.
    if (pid !== undefined) {
      try {
        process.kill(-pid, sig);
        return;
      } catch { /* gone meanwhile: end the session below */ }
    }
    endedBy ??= sig;
    channel?.abort();
    child.kill('SIGKILL');
  };
  // Temporary directories of killed sessions are swept once the command
  // runs, when xarch has nothing else to do (or at the end, if it never ran).
  let swept = false;
  const sweep = () => {
    if (!swept) sweepSessionTemps();
    swept = true;
  };
  const status = await spawnWithRelay(plan.argv, {
    env: { ...plan.env, XARCH_REPORT: 'fd' },
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
    relay: RELAYED,
    deliver,
    started: (child) => {
      const stage = channel = openStageChannel(child, plan.ids?.map ?? null, plan.release, sweep);
      // What is left of planning, the handlers, is looked up once "go" is
      // written: while the chain boots and the stage makes the root's view
      // on other cores, which takes longer than the lookup.
      if (!global) stage.send('handlers' in plan ? () => plan.handlers().rules : plan.rules);
    },
    startError: launcherMissing,
    cleanup: () => {
      sweep();
      terminal?.release();
      if (plan.temporary) rmSync(plan.root, { recursive: true, force: true });
    },
  });
  const failure = channel?.failure();
  if (failure) throw failure;
  return endedBy ? exitStatus(null, endedBy) : status;
}

/** The root the command sees, on the host side while the session runs. */
export { mergedRoot };
