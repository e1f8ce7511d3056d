// xarch run [options] PROGRAM [ARGS...]: one foreign program through QEMU, no registration.
import { UsageError, jsonLine, parseCommand, type Io } from '../io.js';
import { execPlan, planRun, type RunRequest } from '../../run/run.js';

export const help = `Usage: xarch run [--arch T] [--sysroot DIR] [--emulator PATH] [--dry-run] PROGRAM [ARGS...]

Run one foreign program through the right QEMU emulator, without any
binfmt_misc registration. The target comes from the program's ELF header
(or --arch). A dynamically linked program needs its loader (PT_INTERP) and
libraries: they are looked up under --sysroot, else the usual cross and
multiarch places (/usr/<gnu-triplet>, /), and a missing loader is explained
before anything runs. argv[0] is preserved, stdio is inherited, SIGINT,
SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH are relayed, and the exit
status is the program's (128+N when it was killed by signal N).

  --arch T         target name in any scheme (arm64, linux/arm/v7, ...)
  --sysroot DIR    root file system holding the loader and libraries (QEMU -L)
  --emulator PATH  the emulator to use instead of the one found
  --dry-run        print the plan (emulator, sysroot, argv) and run nothing
  --json           with --dry-run: the plan as one JSON line
Options end at PROGRAM; use -- before a PROGRAM that starts with '-'.
`;

export const ownsHelp = true;

const VALUE_OPTS = new Set(['--arch', '--sysroot', '--emulator']);

export async function run(argv: string[], io: Io): Promise<number> {
  // Split at PROGRAM: everything after it belongs to the program.
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-')) break;
    if (VALUE_OPTS.has(a)) i++;
  }
  const own = argv.slice(0, Math.min(i, argv.length)).filter((a) => a !== '--');
  const rest = argv.slice(i);
  const { values } = parseCommand(own, {
    arch: { type: 'string' }, sysroot: { type: 'string' }, emulator: { type: 'string' }, 'dry-run': { type: 'boolean' },
  }, false);
  if (values.help) {
    io.out(help);
    return 0;
  }
  const program = rest[0];
  if (!program) throw new UsageError('run needs a PROGRAM');
  const req: RunRequest = { program, args: rest.slice(1), emulatorSearch: { path: io.env.PATH ?? '' } };
  if (values.arch) req.arch = values.arch;
  if (values.sysroot) req.sysroot = values.sysroot;
  if (values.emulator) req.emulator = values.emulator;
  const plan = planRun(req);
  if (values['dry-run']) {
    const out = { program, target: plan.target.name, emulator: plan.emulator, sysroot: plan.sysroot, interpreter: plan.interpreter, argv: plan.argv };
    if (values.json) jsonLine(io, out);
    else io.out(`target ${out.target}\nemulator ${out.emulator}\nsysroot ${out.sysroot ?? '- (static)'}\nloader ${out.interpreter ?? '-'}\nargv ${out.argv.join(' ')}\n`);
    return 0;
  }
  return execPlan(plan);
}
