// xarch shell ROOTFS [-- CMD...]: a session in a foreign root file system.
import { UsageError, jsonLine, parseCommand, type Io } from '../io.js';
import { planSession, runSession, type SessionRequest } from '../../session/session.js';
import { sweepSessionTemps } from '../../session/temp.js';

export const help = `Usage: xarch shell ROOTFS [--arch T]... [--global] [--overlay DIR | --ephemeral]
                   [--bind SRC[:DST][:ro]]... [--workdir DIR] [--env K=V]...
                   [--dry-run] [-- CMD [ARGS...]]
       xarch shell --gc

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

  --arch T     register handlers for T instead of detecting them (repeatable)
  --global     (root) use the host's registered handlers: a private mount
               namespace and chroot, for kernels older than 6.7
  --overlay DIR   keep every write in DIR (DIR/upper, DIR/work) over an
               untouched ROOTFS (overlayfs in the user namespace)
  --ephemeral  writes go to a layer discarded when the session ends
  --bind SRC[:DST][:ro]  bind the host path SRC at DST (default: SRC) inside
               the root, read-only with :ro (repeatable)
  --workdir DIR  the command's working directory inside the root (default /)
  --env K=V    set K in the command's environment (repeatable)
  --platform P  with a multi-platform image: the one to use (linux/arm64, ...)
  --gc         remove temporary directories that killed sessions left behind
  --dry-run    print what would be registered and run; run nothing
  --json       with --dry-run: the plan as one JSON line (a tar or image
               root adds "cached": true when it was not unpacked again)
The roots cache: $XARCH_ROOTS_CACHE, else $XDG_CACHE_HOME/xarch/roots
(~/.cache/xarch/roots), /var/cache/xarch/roots for root.
Exit status: CMD's (128+N when it was killed by signal N).
`;

export const ownsHelp = true;

export async function run(argv: string[], io: Io): Promise<number> {
  const dd = argv.indexOf('--');
  const own = dd === -1 ? argv : argv.slice(0, dd);
  const command = dd === -1 ? [] : argv.slice(dd + 1);
  const { values, positionals } = parseCommand(own, {
    arch: { type: 'string', multiple: true }, global: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
    overlay: { type: 'string' }, ephemeral: { type: 'boolean' }, bind: { type: 'string', multiple: true },
    workdir: { type: 'string' }, env: { type: 'string', multiple: true }, gc: { type: 'boolean' }, platform: { type: 'string' },
  });
  if (values.help) {
    io.out(help);
    return 0;
  }
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
  if (values.arch) req.arch = values.arch;
  if (values.overlay) req.overlay = values.overlay;
  if (values.ephemeral) req.ephemeral = true;
  if (values.bind) req.binds = values.bind;
  if (values.workdir) req.workdir = values.workdir;
  if (values.platform) req.platform = values.platform;
  if (values.env) req.setEnv = values.env;
  req.terminal = Boolean(process.stdin.isTTY) && io.isTTY;
  const plan = await planSession(req);
  if (plan.ids?.note && !values['dry-run']) io.err(`xarch: ${plan.ids.note}\n`);
  if (plan.rootNote && !values['dry-run']) io.err(`xarch: ${plan.rootNote}\n`);
  if (values['dry-run']) {
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
  return runSession(plan, !!values.global);
}
