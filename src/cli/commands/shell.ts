// xarch shell ROOTFS [-- CMD...]: a session in a foreign root file system.
import { UsageError, jsonLine, type Io } from '../io.js';
import { defineCommand, parseCommand } from '../options.js';
import { planSession, runSession, type SessionRequest } from '../../session/session.js';

// Not named `command` here: run() below calls CMD's argv that.
const shellCommand = defineCommand({
  name: 'shell',
  description: `
Enter ROOTFS (a directory, or a tar of one, unpacked to a temporary
directory that is removed afterwards) and run CMD (default: its /bin/sh),
with every process inside, children included, emulated transparently.

Default (Linux 6.7+, any user, nothing changes on the host): a new user,
mount and PID namespace with its own binfmt_misc instance holding F
handlers for the architectures found in ROOTFS; /proc, /dev and /sys are
mounted inside the root where it has those directories; then chroot.
All of it disappears with the session, whether CMD exits, crashes or is
interrupted.`,
  positionals: [{ name: 'ROOTFS', required: true, complete: 'file' }],
  options: {
    arch: { type: 'string', value: 'T', multiple: true, complete: 'target', description: 'register handlers for T instead of detecting them' },
    global: { type: 'boolean', description: "(root) use the host's registered handlers: a private mount namespace and chroot, for kernels older than 6.7" },
    'dry-run': { type: 'boolean', description: 'print what would be registered and run; run nothing' },
  },
  json: 'with --dry-run: the plan as one JSON line',
  notes: "Exit status: CMD's (128+N when it was killed by signal N).",
  program: { start: '--', usage: 'CMD [ARGS...]' },
});
export { shellCommand as command };

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals, rest: command } = parseCommand(shellCommand, argv);
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'shell takes one ROOTFS; put the command after --' : 'shell needs a ROOTFS');
  const req: SessionRequest = { rootfs: positionals[0]!, command, global: !!values.global, env: io.env };
  if (values.arch.length) req.arch = values.arch;
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
