// xarch shell ROOTFS [-- CMD...]: a session in a foreign root file system.
import { UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { isatty } from 'node:tty';
import { progressLine, type ProgressLine } from '../progress.js';
import { planSession, prepareSession, runSession, type SessionRequest } from '../../session/session.js';
import { sweepSessionTemps } from '../../session/temp.js';

// Not named `command` here: run() below calls CMD's argv that.
const shellCommand = defineCommand({
  name: 'shell',
  usage: [
    `ROOTFS [--arch T]... [--global] [--overlay DIR | --ephemeral]
[--bind SRC[:DST][:ro]]... [--workdir DIR] [--env K=V]...
[--platform P] [--cpu MODEL] [--dry-run] [--json]
[-- CMD [ARGS...]]`,
    '--gc [--json]',
  ],
  description: `
Enter ROOTFS (a directory, a tar of one, or a container image: docker
save / podman save archive or OCI layout; tars and images are unpacked
once into a cache keyed by digest and used read-only under an ephemeral
overlay unless --overlay is given) and run CMD (default: its /bin/sh, or
an image's Entrypoint/Cmd, with its Env, WorkingDir and User),
with every process inside, children included, emulated transparently.

Default (Linux 6.7+, any user, nothing changes on the host): a new user,
mount and PID namespace with its own binfmt_misc instance holding F
handlers for the architectures found in ROOTFS; /proc, /dev and /sys are
mounted inside the root where it has those directories (/dev: a small
tmpfs with null, zero, full, random, urandom, tty, a private devpts and
shm); then chroot. All of it disappears with the session, whether CMD
exits, crashes or is interrupted, and xarch being killed (SIGKILL too)
ends every process of the session. SIGINT, SIGTERM, SIGHUP and SIGQUIT
sent to xarch go to CMD's process group. When stdin and stdout are
terminals, CMD gets a pseudo-terminal of its own (job control, window
size, Ctrl-C/Ctrl-Z to its foreground job).

As an unprivileged user, uid/gid 0 inside are you and 1..65536 your
subordinate ranges from /etc/subuid and /etc/subgid (newuidmap, package
uidmap); without them only 0 is mapped, and a line on stderr says so.
A directory owned by someone else (a root-owned Debian tree) cannot be
written under an overlay by you (its owner cannot be mapped), so with
--overlay or --ephemeral it is copied once into the roots cache; what
you cannot read is missing from the copy, and a line on stderr says so.

The roots cache: $XARCH_ROOTS_CACHE, else $XDG_CACHE_HOME/xarch/roots
(~/.cache/xarch/roots), /var/cache/xarch/roots for root.`,
  positionals: [{ name: 'ROOTFS', complete: 'file' }],
  options: {
    arch: { type: 'string', value: 'T', multiple: true, complete: 'target', description: 'register handlers for T instead of detecting them' },
    global: { type: 'boolean', description: "(root) use the host's registered handlers: a private mount namespace and chroot, for kernels older than 6.7" },
    overlay: { type: 'string', value: 'DIR', complete: 'dir', description: 'keep every write in DIR (DIR/upper, DIR/work) over an untouched ROOTFS (overlayfs in the user namespace)' },
    ephemeral: { type: 'boolean', description: 'writes go to a layer discarded when the session ends' },
    bind: { type: 'string', value: 'SRC[:DST][:ro]', multiple: true, complete: 'dir', description: 'bind the host path SRC at DST (default: SRC) inside the root, read-only with :ro' },
    workdir: { type: 'string', value: 'DIR', description: "the command's working directory inside the root (default /)" },
    env: { type: 'string', value: 'K=V', multiple: true, description: "set K in the command's environment" },
    platform: { type: 'string', value: 'P', description: 'with a multi-platform image: the one to use (linux/arm64, ...)' },
    cpu: { type: 'string', value: 'MODEL', description: "QEMU CPU model of every emulated process (QEMU_CPU in the session's environment); 'xarch bench --cpu-models' finds the fastest" },
    gc: { type: 'boolean', description: 'remove temporary directories that killed sessions left behind' },
    'dry-run': { type: 'boolean', description: 'print what would be registered and run; run nothing' },
  },
  json: 'with --dry-run: the plan as one JSON line ("cached": true when a tar, image or copied root was not unpacked again); with --gc: {"removed","live","failed"}',
  notes: "Exit status: CMD's (128+N when it was killed by signal N).",
  program: { start: '--', usage: 'CMD [ARGS...]' },
});
export { shellCommand as command };

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals, rest: command } = parseCommand(shellCommand, argv);
  if (values.gc) {
    const r = sweepSessionTemps();
    if (values.json) jsonLine(io, r);
    else {
      for (const p of r.removed) io.out(`removed ${p}\n`);
      for (const p of r.live) io.out(`in use ${p}\n`);
      for (const f of r.failed) io.err(`xarch: cannot remove ${f.path}: ${f.error}\n`);
      if (!r.removed.length && !r.live.length && !r.failed.length) io.out('nothing to remove\n');
    }
    return r.failed.length ? 1 : 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'shell takes one ROOTFS; put the command after --' : 'shell needs a ROOTFS');
  const req: SessionRequest = { rootfs: positionals[0]!, command, global: !!values.global, env: io.env };
  if (values.arch.length) req.arch = values.arch;
  if (values.overlay) req.overlay = values.overlay;
  if (values.ephemeral) req.ephemeral = true;
  if (values.bind.length) req.binds = values.bind;
  if (values.workdir) req.workdir = values.workdir;
  if (values.platform) req.platform = values.platform;
  if (values.cpu) req.cpu = values.cpu;
  if (values.env.length) req.setEnv = values.env;
  // isatty(0), not process.stdin.isTTY: the stdin stream it creates loaded
  // Node's fs streams, 6-8 ms of a session's start.
  req.terminal = isatty(0) && io.isTTY;
  // Asked of stderr only when a tar or image root reports unpacking: a directory root never does.
  let progress: ProgressLine | undefined | null = null;
  req.progress = (p) => (progress === null ? (progress = progressLine(io, !!values.json)) : progress)?.report(p);
  if (values['dry-run']) {
    const plan = await planSession(req).finally(() => progress?.end());
    const out = {
      root: plan.root, ...(plan.cached !== undefined ? { cached: plan.cached } : {}), targets: plan.targets, register: plan.rules, command: plan.command, mode: values.global ? 'global' : 'rootless',
      layer: plan.layer.kind, binds: plan.binds, workdir: plan.workdir, terminal: plan.terminal,
      ids: plan.ids && { full: plan.ids.full, uid: plan.ids.map.uid, gid: plan.ids.map.gid, ...(plan.ids.note ? { note: plan.ids.note } : {}) },
    };
    if (values.json) jsonLine(io, out);
    else {
      io.out(`mode ${out.mode}\nroot ${out.root}\ntargets ${out.targets.join(' ') || '-'}\n${out.register.map((r) => `register ${r}\n`).join('')}command ${out.command.join(' ')}\n`);
      io.out(`layer ${out.layer}\n${out.binds.map((b) => `bind ${b.source} ${b.target}${b.readOnly ? ' ro' : ''}\n`).join('')}workdir ${out.workdir}\n`);
      if (plan.ids?.note) io.out(`ids ${plan.ids.note}\n`);
    }
    return 0;
  }
  // The handlers are found by runSession once the chain has been started.
  const plan = await prepareSession(req).finally(() => progress?.end());
  if (plan.ids?.note) io.err(`xarch: ${plan.ids.note}\n`);
  if (plan.rootNote) io.err(`xarch: ${plan.rootNote}\n`);
  return runSession(plan, !!values.global);
}
