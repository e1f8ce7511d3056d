// xarch shell ROOTFS [-- CMD...]: a session in a foreign root file system.
import { UsageError, jsonLine, parseCommand, type Io } from '../io.js';
import { planSession, runSession, type SessionRequest } from '../../session/session.js';

export const help = `Usage: xarch shell ROOTFS [--arch T]... [--global] [--dry-run] [-- CMD [ARGS...]]

Enter ROOTFS (a directory, or a tar of one, unpacked to a temporary
directory that is removed afterwards) and run CMD (default: its /bin/sh),
with every process inside, children included, emulated transparently.

Default (Linux 6.7+, any user, nothing changes on the host): a new user,
mount and PID namespace with its own binfmt_misc instance holding F
handlers for the architectures found in ROOTFS; /proc, /dev and /sys are
mounted inside the root where it has those directories; then chroot.
All of it disappears with the session, whether CMD exits, crashes or is
interrupted.

  --arch T     register handlers for T instead of detecting them (repeatable)
  --global     (root) use the host's registered handlers: a private mount
               namespace and chroot, for kernels older than 6.7
  --dry-run    print what would be registered and run; run nothing
  --json       with --dry-run: the plan as one JSON line
Exit status: CMD's (128+N when it was killed by signal N).
`;

export const ownsHelp = true;

export async function run(argv: string[], io: Io): Promise<number> {
  const dd = argv.indexOf('--');
  const own = dd === -1 ? argv : argv.slice(0, dd);
  const command = dd === -1 ? [] : argv.slice(dd + 1);
  const { values, positionals } = parseCommand(own, {
    arch: { type: 'string', multiple: true }, global: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
  });
  if (values.help) {
    io.out(help);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'shell takes one ROOTFS; put the command after --' : 'shell needs a ROOTFS');
  const req: SessionRequest = { rootfs: positionals[0]!, command, global: !!values.global, env: io.env };
  if (values.arch) req.arch = values.arch;
  const plan = planSession(req);
  if (values['dry-run']) {
    const out = { root: plan.root, targets: plan.targets, register: plan.rules, command: command.length ? command : ['/bin/sh'], mode: values.global ? 'global' : 'rootless' };
    if (plan.temporary) (await import('node:fs')).rmSync(plan.root, { recursive: true, force: true });
    if (values.json) jsonLine(io, out);
    else io.out(`mode ${out.mode}\nroot ${out.root}\ntargets ${out.targets.join(' ') || '-'}\n${out.register.map((r) => `register ${r}\n`).join('')}command ${out.command.join(' ')}\n`);
    return 0;
  }
  return runSession(plan, !!values.global);
}
