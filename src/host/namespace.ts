// The one namespace launcher. Node cannot call unshare(2) itself, so every
// namespace xarch makes is util-linux `unshare` running a POSIX sh "stage"
// script; this file builds that command line, the stage's binfmt_misc lines,
// and maps the stage's failures to XarchErrors.
//
// Private binfmt_misc instances: since Linux 6.7 every user namespace that
// mounts binfmt_misc gets its own empty instance; registering there needs no
// host privilege and dies with the namespace.
//
// Registration inside a namespace is a shell write (`printf > register`),
// not host/kernel.ts registerRule: the stage runs in the new namespaces
// before any node process could be there (node cannot enter a namespace, and
// starting one inside would cost its whole start-up per session). The lines
// written are still rendered by the core codec (renderRegister) by the caller.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { kernelAtLeast } from '../core/kernel-version.js';
import { XarchError } from '../core/errors.js';
import { DEFAULT_BINFMT_DIR } from './kernel.js';

/** How IDs are mapped into the new user namespace. */
export type IdMode =
  /** No user namespace (root with the host's handlers). */
  | 'none'
  /** unshare --map-root-user: only the caller, as 0. */
  | 'map-root'
  /** The stage waits on fd 3 until xarch has written the maps (writeIdMaps), then re-executes itself with its capabilities. */
  | 'deferred';

export interface LaunchSpec {
  ids: IdMode;
  /** A new PID namespace whose init is the stage (killed with unshare: --kill-child). */
  pid: boolean;
  /** setpriv --pdeathsig KILL: unshare dies with xarch, SIGKILL included. */
  dieWithParent?: boolean;
  /** Environment variables set for the stage only (env K=V before unshare). */
  stageEnv?: Record<string, string>;
  /** The stage script (POSIX sh) and its $0, $1... */
  script: string;
  args: readonly string[];
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// fd 3 carries "go" from xarch, fd 4 carries the stage's reports to xarch.
// The stage is exec'd before its IDs are mapped, so it has no capabilities
// of its own, and it never gains any: it does not re-exec itself. What it
// does as a shell needs none (it owns the tmpfs files it writes and the
// private instance's register file once uid 0 is mapped to its user); the
// programs it starts (mount, unshare --root) are exec'd as uid 0 of the
// namespace after the mapping and get the namespace's full set there. So
// the parent-death signal unshare --kill-child gave the stage stays: the
// kernel clears it only when an exec raises credentials (commit_creds), and
// there is no window where the stage runs without it (the setpriv re-exec
// this replaced had one, and cost two execs of the start).
const DEFERRED_BOOT = 'echo ready >&4; read go <&3 || exit 125';

/** The argv that starts `spec.script` in new namespaces. */
export function namespaceArgv(spec: LaunchSpec): string[] {
  const argv: string[] = [];
  const env = Object.entries(spec.stageEnv ?? {});
  if (env.length) argv.push('env', ...env.map(([k, v]) => `${k}=${v}`));
  if (spec.dieWithParent) argv.push('setpriv', '--pdeathsig', 'KILL');
  argv.push('unshare');
  if (spec.ids === 'map-root') argv.push('--user', '--map-root-user');
  else if (spec.ids === 'deferred') argv.push('--user');
  argv.push('--mount');
  if (spec.pid) argv.push('--pid');
  argv.push('--fork', '--kill-child', 'sh', '-c');
  // dash runs a -c string one command at a time, so the boot's `read go`
  // waits before the rest of the script does anything.
  argv.push(spec.ids === 'deferred' ? `${DEFERRED_BOOT}\n${spec.script}` : spec.script, ...spec.args);
  return argv;
}

/** Why a stage gave up: the first word of its `fail` line. */
const STAGE_FAILURES = {
  binfmt: 'cannot mount a private binfmt_misc instance (Linux 6.7 or later is needed)',
  register: 'the private binfmt_misc instance refused a handler',
  overlay: 'cannot mount the overlay (overlayfs in a user namespace needs Linux 5.11+ and an upper directory on a file system that supports it)',
  bind: 'cannot bind a host path into the session',
  mount: 'cannot set up the session\'s mounts',
} as const;
export type StageFailure = keyof typeof STAGE_FAILURES;

/**
 * The stage's shell prelude: `fail REASON [DETAIL]` reports to fd 4 when
 * xarch listens there (XARCH_REPORT=fd), else prints one line on stderr;
 * either way the stage exits 125.
 */
export function stagePrelude(): string {
  const messages = Object.entries(STAGE_FAILURES).map(([k, m]) => `${k}) m=${shellQuote(m)};;`).join(' ');
  return `fail() { if [ "$XARCH_REPORT" = fd ]; then echo "$*" >&4; else case $1 in ${messages} *) m=$1;; esac; shift; echo "xarch: $m\${1:+: $*}" >&2; fi; exit 125; }`;
}

/**
 * Stage lines that mount a private binfmt_misc instance at the shell word
 * `dirWord` and register `registerLines` (rendered by the core codec). The
 * `meanwhile` lines run while that mount does (a background job: one fork
 * and exec off the stage's path); registration waits for it, so nothing is
 * ever written to a register file that is not the private instance's.
 */
export function binfmtStage(dirWord: string, registerLines: readonly string[] | 'sent', meanwhile: readonly string[] = []): string {
  const d = dirWord;
  const mount = `mount -t binfmt_misc binfmt_misc ${d} 2>/dev/null`;
  const lines = meanwhile.length ? [`${mount} & binfmt_mount=$!`, ...meanwhile, 'wait $binfmt_mount || fail binfmt'] : [`${mount} || fail binfmt`];
  if (registerLines === 'sent') {
    // The lines xarch sends after "go" (StageChannel.send), one a line, and
    // then a line '.' (no rule is '.'): EOF before it means xarch gave up
    // (its handler lookup failed), and the stage ends without starting the
    // command. dash's read takes a byte a call, a few hundred bytes here.
    lines.push(`while IFS= read -r rule <&3 && [ "$rule" != . ]; do printf '%s' "$rule" > ${d}/register || { n=\${rule#:}; fail register "\${n%%:*}"; }; done`, '[ "$rule" = . ] || exit 125');
  } else for (const r of registerLines) lines.push(`printf '%s' ${shellQuote(r)} > ${d}/register || fail register ${shellQuote(r.split(':')[1] ?? r)}`);
  return lines.join('\n');
}

/** The XarchError for a stage's `fail` line (`REASON DETAIL...`). */
export function stageError(line: string, release: string): XarchError {
  const [reason = '', ...rest] = line.trim().split(' ');
  const detail = rest.join(' ');
  const message = (STAGE_FAILURES as Record<string, string>)[reason] ?? `session set-up failed: ${line.trim()}`;
  const full = detail ? `${message}: ${detail}` : message;
  switch (reason) {
    case 'binfmt':
      return kernelAtLeast(release, 6, 7)
        ? new XarchError('BINFMT_UNAVAILABLE', full, { hint: 'binfmt_misc must be built into the kernel or loadable (modprobe binfmt_misc)' })
        : new XarchError('KERNEL_TOO_OLD', `${full}; this is ${release}`, { hint: 'as root, register handlers with xarch install and use xarch shell --global' });
    case 'register':
      return new XarchError('BINFMT_WRITE_FAILED', full, { hint: 'check the emulator exists and is executable (xarch emulators)' });
    case 'overlay':
      return new XarchError('SANDBOX_UNAVAILABLE', full, { hint: 'put the --overlay directory on a local file system (ext4, xfs, btrfs, tmpfs), not on another overlay or NFS' });
    case 'bind':
      return new XarchError('PATH_NOT_FOUND', full, { path: detail, hint: 'give --bind SRC[:DST][:ro] with an existing host path SRC' });
    default:
      return new XarchError('SANDBOX_UNAVAILABLE', full, { hint: 'util-linux (unshare, mount) and a kernel with user namespaces are needed' });
  }
}

/** The XarchError when unshare itself could not make the namespaces. */
export function namespaceUnavailable(detail: string): XarchError {
  return new XarchError('SANDBOX_UNAVAILABLE', `cannot create user namespaces here${detail ? `: ${detail}` : ''}`, {
    hint: 'user namespaces may be disabled (sysctl user.max_user_namespaces, kernel.apparmor_restrict_unprivileged_userns); as root, xarch shell --global uses the host\'s handlers',
  });
}

/** The XarchError when the launcher binaries cannot be started. */
export function launcherMissing(e: NodeJS.ErrnoException): XarchError {
  return new XarchError('SANDBOX_UNAVAILABLE', `cannot start the session: ${e.code ?? e.message}`, { hint: 'util-linux (unshare, setpriv, mount, script) is needed' });
}

export interface IdMapEntry { inside: number; outside: number; count: number }
export interface IdMap { uid: IdMapEntry[]; gid: IdMapEntry[] }

const mapText = (m: IdMapEntry[]) => m.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join('');
const mapArgs = (m: IdMapEntry[]) => m.flatMap((e) => [String(e.inside), String(e.outside), String(e.count)]);

/**
 * Write the user namespace's ID maps for process `pid`. Root writes them
 * itself; a user maps just itself directly (after denying setgroups, as the
 * kernel requires), or its subordinate ranges through the set-uid
 * newuidmap/newgidmap, which check them against /etc/subuid and /etc/subgid.
 */
export function writeIdMaps(pid: number, map: IdMap, callerUid = process.getuid?.() ?? 0): void {
  const single = map.uid.length === 1 && map.gid.length === 1 && map.uid[0]!.count === 1 && map.gid[0]!.count === 1;
  if (callerUid === 0 || single) {
    if (callerUid !== 0) writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    writeFileSync(`/proc/${pid}/uid_map`, mapText(map.uid));
    writeFileSync(`/proc/${pid}/gid_map`, mapText(map.gid));
    return;
  }
  for (const [tool, m] of [['newuidmap', map.uid], ['newgidmap', map.gid]] as const) {
    const r = spawnSync(tool, [String(pid), ...mapArgs(m)], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new XarchError('SANDBOX_UNAVAILABLE', `${tool} refused the subordinate ID map: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`, {
        hint: 'install uidmap (apt-get install uidmap) and check /etc/subuid and /etc/subgid',
      });
    }
  }
}

export interface StageChannel {
  /** True once the stage has reported that the command starts. */
  running(): boolean;
  /**
   * The register lines that go to the stage after "go" (a stage made with
   * binfmtStage(..., 'sent')). "go" does not wait for them: a function is
   * called once "go" is written, so that xarch looks the handlers up while
   * the stage makes the root's view; what it throws ends the session.
   */
  send(registerLines: readonly string[] | (() => readonly string[])): void;
  /**
   * The session ends before its command started: close the stage's fd 3 so
   * that a stage waiting there exits, and map nothing more. util-linux 2.38
   * unshare sets --kill-child's parent-death signal in its child after
   * fork(), not checking the parent is still there (2.39 does, with a
   * pidfd): a launcher killed in between leaves its stage alive, and that
   * stage held the report pipe open while it waited for "go" from an xarch
   * that waited for the pipe to close.
   */
  abort(): void;
  /** Why the session never started, when it did not. */
  failure(): XarchError | undefined;
}

/**
 * Talk to a stage launched with `ids: 'deferred'` and XARCH_REPORT=fd on
 * pipes 3 (to the stage) and 4 (from it): map IDs when it is ready, note
 * when the command starts (and call `onStarted`), turn a `fail` line into
 * an XarchError.
 */
export function openStageChannel(child: ChildProcess, map: IdMap | null, release: string, onStarted?: () => void): StageChannel {
  const go = child.stdio[3] as Writable;
  const reports = child.stdio[4] as Readable;
  let running = false;
  let ready = false;
  let aborted = false;
  let lines: readonly string[] | (() => readonly string[]) | undefined;
  let wentGo = false;
  let sent = false;
  let failure: XarchError | undefined;
  let buffer = '';
  go.on('error', () => {});
  const abort = () => {
    aborted = true;
    go.destroy();
  };
  const fail = (e: unknown) => {
    failure = e as XarchError;
    // The launcher first: its stage dies with it (--kill-child) before it reads EOF on fd 3.
    child.kill('SIGKILL');
    abort();
  };
  // "go" once the stage is ready and its IDs are mapped; the register lines
  // after it, to EOF, once they are known.
  const flush = () => {
    if (!ready || aborted) return;
    try {
      if (!wentGo) {
        wentGo = true;
        if (map) writeIdMaps(child.pid!, map);
        go.write('go\n');
      }
      if (lines === undefined || sent) return;
      sent = true;
      const rules = typeof lines === 'function' ? lines() : lines;
      go.end(`${rules.map((l) => `${l}\n`).join('')}.\n`);
    } catch (e) {
      fail(e);
    }
  };
  reports.setEncoding('utf8');
  reports.on('data', (chunk: string) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === 'ready') {
        ready = true;
        flush();
      } else if (line === 'started') {
        running = true;
        onStarted?.();
      }
      else if (!failure) failure = stageError(line, release);
    }
  });
  reports.on('end', () => {
    if (map && !ready && !failure && !aborted) failure = namespaceUnavailable('unshare failed');
  });
  const send = (registerLines: readonly string[] | (() => readonly string[])) => {
    lines = registerLines;
    flush();
  };
  return { running: () => running, failure: () => failure, abort, send };
}

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
  const script = [stagePrelude(), binfmtStage('"$XARCH_SANDBOX_BINFMT"', []), opts.setup ?? '', 'exec "$@"'].join('\n');
  return namespaceArgv({ ids: 'map-root', pid: false, stageEnv: { XARCH_SANDBOX_BINFMT: dir }, script, args: ['xarch-sandbox', ...argv] });
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
